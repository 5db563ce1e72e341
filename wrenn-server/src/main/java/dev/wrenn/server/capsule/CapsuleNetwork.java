package dev.wrenn.server.capsule;

import dev.wrenn.host.api.NetworkPolicy;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A capsule's place on the network (api.md §8, §9): what it may reach, who may reach its ports
 * through the port proxy, and whether a request to a port wakes it when it is paused.
 *
 * @param trafficToken the secret a {@link PortAccess#TOKEN} capsule's proxy requests carry; null for public ones
 */
public record CapsuleNetwork(NetworkPolicy policy, PortAccess portAccess, String trafficToken, boolean autoResume) {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int TOKEN_BYTES = 24;

    public static final CapsuleNetwork DEFAULT = new CapsuleNetwork(NetworkPolicy.DEFAULT, PortAccess.PUBLIC, null, false);

    public CapsuleNetwork {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(portAccess, "portAccess");
        if ((portAccess == PortAccess.TOKEN) != (trafficToken != null)) {
            throw new IllegalArgumentException("a traffic token belongs to token capsules, and only to them");
        }
    }

    /** A new capsule's settings; a token capsule gets a fresh random token of 192 bits. */
    public static CapsuleNetwork of(NetworkPolicy policy, PortAccess access, boolean autoResume) {
        return new CapsuleNetwork(policy, access, access == PortAccess.TOKEN ? newToken() : null, autoResume);
    }

    public CapsuleNetwork withPolicy(NetworkPolicy p) {
        return new CapsuleNetwork(p, portAccess, trafficToken, autoResume);
    }

    private static String newToken() {
        byte[] b = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
