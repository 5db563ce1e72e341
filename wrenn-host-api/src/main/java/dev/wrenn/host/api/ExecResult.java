package dev.wrenn.host.api;

import java.nio.charset.StandardCharsets;

/** The outcome of a foreground command: its output (capped), exit code and whether it timed out. */
public record ExecResult(int exitCode, int signal, boolean timedOut, byte[] stdout, byte[] stderr,
                         long durationMs, boolean truncated) {

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
