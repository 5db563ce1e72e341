package dev.wrenn.host.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A program to run in a capsule. {@code argv[0]} is the program (looked up in PATH unless it has a
 * slash); a shell line is run as {@code sh -c LINE}.
 *
 * @param stdin      bytes fed to the process's stdin, which is then closed (null: none, or written through a stream)
 * @param background started and left running: output to its log and replay buffer, nothing streamed
 * @param detach     the process outlives the stream that started it
 * @param tag        a name for the process (null: none for a foreground process, a generated one otherwise)
 * @param pty        run in a terminal of {@code rows} x {@code cols}
 */
public record ExecRequest(List<String> argv, Map<String, String> env, String cwd, Duration timeout, byte[] stdin,
                          boolean background, boolean detach, String tag, boolean pty, int rows, int cols) {

    public ExecRequest {
        argv = List.copyOf(argv);
        if (argv.isEmpty() || argv.get(0).isEmpty()) throw new IllegalArgumentException("exec needs a program");
        env = Map.copyOf(env);
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        if (background && pty) throw new IllegalArgumentException("a background process cannot have a terminal");
        if (pty && (rows < 1 || cols < 1 || rows > 65535 || cols > 65535)) {
            throw new IllegalArgumentException("terminal size " + cols + "x" + rows + " is not within 1..65535");
        }
    }

    public static Builder command(String program, String... args) {
        return new Builder(program, args);
    }

    /** {@code sh -c line}: for callers that hold a shell line rather than an argv. */
    public static Builder shell(String line) {
        return new Builder("sh", "-c", line);
    }

    public static final class Builder {
        private final List<String> argv = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private String cwd;
        private Duration timeout = Duration.ofSeconds(30);
        private byte[] stdin;
        private boolean background;
        private boolean detach;
        private String tag;
        private boolean pty;
        private int rows = 24;
        private int cols = 80;

        private Builder(String program, String... args) {
            argv.add(program);
            argv.addAll(List.of(args));
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder env(Map<String, String> values) {
            env.putAll(values);
            return this;
        }

        public Builder cwd(String dir) {
            this.cwd = dir;
            return this;
        }

        /** Zero means no limit. */
        public Builder timeout(Duration limit) {
            this.timeout = limit;
            return this;
        }

        public Builder stdin(byte[] data) {
            this.stdin = data;
            return this;
        }

        public Builder tag(String processTag) {
            this.tag = processTag;
            return this;
        }

        public Builder background(String processTag) {
            this.background = true;
            this.tag = processTag;
            return this;
        }

        public Builder detach(boolean outlivesStream) {
            this.detach = outlivesStream;
            return this;
        }

        public Builder pty(int rows, int cols) {
            this.pty = true;
            this.rows = rows;
            this.cols = cols;
            return this;
        }

        public ExecRequest build() {
            return new ExecRequest(argv, env, cwd, timeout, stdin, background, detach, tag, pty, rows, cols);
        }
    }
}
