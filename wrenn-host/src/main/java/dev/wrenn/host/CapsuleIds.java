package dev.wrenn.host;

import java.security.SecureRandom;

/** Capsule ids: {@code cl-} and 25 base-36 characters of a random 128-bit value (api.md §1). */
public final class CapsuleIds {
    private static final SecureRandom RANDOM = new SecureRandom();

    private CapsuleIds() {}

    public static String random() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        String s = new java.math.BigInteger(1, b).toString(36);
        return "cl-" + "0".repeat(25 - s.length()) + s;
    }
}
