package dev.wrenn.host.grpc;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A host's credential: the token {@code wrenn hosts add} prints once and the agent is started with.
 * The control plane keeps only what it needs of it: the token's hash, to check the agent when it
 * registers, and the call key derived from it, which it presents on every call to the agent. The
 * token itself is never stored by the control plane nor sent on calls.
 */
public final class HostCredential {
    private static final Pattern TOKEN = Pattern.compile("wrh_[0-9a-f]{48}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private HostCredential() {}

    public static String newToken() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return "wrh_" + HexFormat.of().formatHex(b);
    }

    /** @throws IllegalArgumentException when {@code token} is not a host token (naming only its start) */
    public static String checked(String token) {
        if (token == null || !TOKEN.matcher(token).matches()) {
            String shown = token == null ? "nothing" : "'" + token.substring(0, Math.min(token.length(), 6)) + "…'";
            throw new IllegalArgumentException("a host token is wrh_ and 48 hex digits, as `wrenn hosts add` prints it; got " + shown);
        }
        return token;
    }

    /** What the control plane keeps to recognise the token at registration. */
    public static String tokenHash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(checked(token).getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What the control plane presents on each call and the agent expects: a key derived from the token. */
    public static String callKey(String token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(checked(token).getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal("wrenn control plane calls".getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean sameKey(String expected, String presented) {
        return presented != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                presented.getBytes(StandardCharsets.US_ASCII));
    }
}
