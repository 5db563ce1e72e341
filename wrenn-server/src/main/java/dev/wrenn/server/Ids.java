package dev.wrenn.server;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.regex.Pattern;

/** Object ids (api.md §1): a prefix and a random 128-bit value in base 36, 25 characters. */
public enum Ids {
    CAPSULE("cl-"),
    API_KEY("key-"),
    TEAM("team-"),
    HOST("host-"),
    CONTROL_PLANE("cp-"),
    USER("user-");

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int LENGTH = 25;

    private final String prefix;
    private final Pattern pattern;

    Ids(String prefix) {
        this.prefix = prefix;
        this.pattern = Pattern.compile(Pattern.quote(prefix) + "[0-9a-z]{" + LENGTH + "}");
    }

    public String next() {
        String digits = new BigInteger(128, RANDOM).toString(36);
        return prefix + "0".repeat(LENGTH - digits.length()) + digits;
    }

    public boolean matches(String id) {
        return id != null && pattern.matcher(id).matches();
    }

    public String prefix() {
        return prefix;
    }
}
