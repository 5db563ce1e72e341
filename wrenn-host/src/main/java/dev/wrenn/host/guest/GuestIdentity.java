package dev.wrenn.host.guest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

/**
 * What a guest is told after every restore: who it is, what time it is, fresh entropy, its
 * network card's MAC and its machine id (derived from the capsule id: each capsule its own, the
 * same after a resume) and a boot id of its own.
 */
public record GuestIdentity(String capsuleId, String hostname, Map<String, String> env) {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A locally administered unicast MAC from the id's SHA-256. */
    static String mac(String capsuleId) {
        byte[] h = sha256(capsuleId);
        StringBuilder s = new StringBuilder("02");
        for (int i = 0; i < 5; i++) s.append(':').append(String.format("%02x", h[i] & 255));
        return s.toString();
    }

    /** The capsule's /etc/machine-id: 32 hex digits of the id's SHA-256, the same after every resume. */
    static String machineId(String capsuleId) {
        return HexFormat.of().formatHex(sha256("machine-id:" + capsuleId), 0, 16);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** An INIT that only sets the clock: what a resumed guest lacks (it is still who it was). */
    static Record clockOnly(Instant now) {
        return Record.builder().put("time_ns", epochNanos(now)).build();
    }

    private static long epochNanos(Instant now) {
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    Record toRecord(Instant now) {
        byte[] entropy = new byte[64];
        RANDOM.nextBytes(entropy);
        Record.Builder b = Record.builder()
                .put("capsule_id", capsuleId)
                .put("hostname", hostname)
                .put("time_ns", epochNanos(now))
                .put("entropy", entropy)
                .put("mac", mac(capsuleId))
                .put("machine_id", machineId(capsuleId))
                .put("boot_id", UUID.randomUUID().toString());   // a clone is a new machine, booted now
        env.forEach((k, v) -> b.put("env", k + "=" + v));
        return b.build();
    }
}
