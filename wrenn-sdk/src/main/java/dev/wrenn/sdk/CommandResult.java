package dev.wrenn.sdk;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The outcome of a foreground command. A non-zero exit is a result, not an exception.
 *
 * @param exitCode the exit status; 124 when the command's timeout killed it
 * @param stdout its standard output as text, or base64 when {@code encoding} is {@code base64}
 * @param stderr its standard error, encoded as {@code stdout} is
 * @param durationMs how long it ran, in milliseconds
 * @param timedOut true when its timeout killed it (the output is what it wrote until then)
 * @param truncated true when an output stream went over the server's cap and was cut
 * @param encoding {@code utf-8}, or {@code base64} when either stream was not valid UTF-8
 */
public record CommandResult(int exitCode, String stdout, String stderr, long durationMs, boolean timedOut,
                            boolean truncated, String encoding) {
    /** {@return true when the command exited with status 0} */
    public boolean isSuccess() {
        return exitCode == 0 && !timedOut;
    }

    /** {@return the exact bytes of standard output, whatever the encoding} */
    public byte[] stdoutBytes() {
        return bytes(stdout);
    }

    /** {@return the exact bytes of standard error, whatever the encoding} */
    public byte[] stderrBytes() {
        return bytes(stderr);
    }

    private byte[] bytes(String s) {
        return "base64".equals(encoding) ? Base64.getDecoder().decode(s) : s.getBytes(StandardCharsets.UTF_8);
    }
}
