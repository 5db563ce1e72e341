package dev.wrenn.host.guest;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Map;

/** What a guest is told after every restore: who it is, what time it is, fresh entropy. */
public record GuestIdentity(String capsuleId, String hostname, Map<String, String> env) {
    private static final SecureRandom RANDOM = new SecureRandom();

    Record toRecord(Instant now) {
        byte[] entropy = new byte[64];
        RANDOM.nextBytes(entropy);
        Record.Builder b = Record.builder()
                .put("capsule_id", capsuleId)
                .put("hostname", hostname)
                .put("time_ns", now.getEpochSecond() * 1_000_000_000L + now.getNano())
                .put("entropy", entropy);
        env.forEach((k, v) -> b.put("env", k + "=" + v));
        return b.build();
    }
}
