package dev.wrenn.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** The secret part of API keys: {@code wrn_} + 32 lowercase hex; stored as SHA-256 only. */
public final class KeySecrets {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern FORMAT = Pattern.compile("wrn_[0-9a-f]{32}");
    private static final int PREFIX_LENGTH = 12;

    private KeySecrets() {}

    public static String generate() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return "wrn_" + HexFormat.of().formatHex(b);
    }

    public static boolean wellFormed(String key) {
        return key != null && FORMAT.matcher(key).matches();
    }

    public static String hash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /** What lists show so that a person can tell keys apart: {@code wrn_} and 8 hex digits. */
    public static String prefix(String key) {
        return key.substring(0, PREFIX_LENGTH);
    }

    /** Constant-time comparison of two hashes. */
    public static boolean sameHash(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }
}
