package dev.wrenn.server.auth;

import dev.wrenn.server.error.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Users' passwords, stored as Argon2id: memory-hard, so that a stolen database costs an attacker
 * memory as well as time for every guess. 19 MiB and 2 passes is the minimum OWASP recommends; a
 * hash keeps its parameters (the PHC string format), so stronger ones later still verify old ones.
 */
public final class PasswordHasher {
    public static final int MIN_LENGTH = 10;
    /** Hashing cost does not grow with length, but a megabyte password is no password. */
    public static final int MAX_LENGTH = 1024;
    private static final int MEMORY_KIB = 19 * 1024;
    private static final int PASSES = 2;
    private static final int LANES = 1;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,2}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{16,88})\\$([A-Za-z0-9+/]{16,88})");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64_IN = Base64.getDecoder();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_MEMORY_KIB = 1 << 20;
    private static final String DUMMY = hash("not a password anyone has");

    private PasswordHasher() {}

    /** Refuses a password too short or too long to be accepted, naming the rule (not the password). */
    public static void requireAcceptable(String password) {
        if (password == null || password.length() < MIN_LENGTH) {
            throw ApiException.invalid("a password needs at least " + MIN_LENGTH + " characters");
        }
        if (password.length() > MAX_LENGTH) {
            throw ApiException.invalid("a password may have at most " + MAX_LENGTH + " characters");
        }
    }

    /** A new hash of {@code password} with a fresh salt, as {@code $argon2id$v=19$m=…,t=…,p=…$salt$hash}. */
    public static String hash(String password) {
        return hash(password, MEMORY_KIB, PASSES);
    }

    /** As {@link #hash(String)} with other costs (what an older or newer setting wrote). */
    static String hash(String password, int memoryKib, int passes) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] hash = argon2(password, salt, memoryKib, passes, LANES, HASH_BYTES);
        return "$argon2id$v=19$m=" + memoryKib + ",t=" + passes + ",p=" + LANES + "$" + B64.encodeToString(salt) + "$"
                + B64.encodeToString(hash);
    }

    /** Whether {@code password} is the one {@code encoded} was made from; false for anything not such a hash. */
    public static boolean matches(String password, String encoded) {
        Matcher m = encoded == null ? null : PHC.matcher(encoded);
        if (password == null || password.length() > MAX_LENGTH || m == null || !m.matches()) return false;
        int memory = Integer.parseInt(m.group(1));
        int passes = Integer.parseInt(m.group(2));
        int lanes = Integer.parseInt(m.group(3));
        if (memory < 8 * lanes || memory > MAX_MEMORY_KIB || passes < 1 || lanes < 1) return false;
        byte[] salt = B64_IN.decode(m.group(4));
        byte[] expected = B64_IN.decode(m.group(5));
        return MessageDigest.isEqual(expected, argon2(password, salt, memory, passes, lanes, expected.length));
    }

    /** Spends what a real check spends, for a sign-in whose user does not exist (its answer takes as long). */
    public static void matchNothing(String password) {
        matches(password == null ? "" : password, DUMMY);
    }

    private static byte[] argon2(String password, byte[] salt, int memoryKib, int passes, int lanes, int length) {
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13).withMemoryAsKB(memoryKib).withIterations(passes)
                .withParallelism(lanes).withSalt(salt).build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(params);
        byte[] out = new byte[length];
        generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
        return out;
    }
}
