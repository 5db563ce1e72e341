package dev.wrenn.host.guest;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A program to run in the guest. {@code argv[0]} is the program (looked up in PATH unless it has a
 * slash); a shell line is run as {@code sh -c LINE}.
 */
public record ExecRequest(List<String> argv, Map<String, String> env, String cwd, Duration timeout,
                          byte[] stdin, boolean background, String tag, boolean pty, int rows, int cols) {

    public ExecRequest {
        argv = List.copyOf(argv);
        if (argv.isEmpty() || argv.get(0).isEmpty()) throw new IllegalArgumentException("exec needs a program");
        env = Map.copyOf(env);
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }

    public static Builder command(String program, String... args) {
        return new Builder(program, args);
    }

    /** {@code sh -c line}: for callers that hold a shell line rather than an argv. */
    public static Builder shell(String line) {
        return new Builder("sh", "-c", line);
    }

    Record toRecord() {
        Record.Builder b = Record.builder().putAll("arg", argv);
        env.forEach((k, v) -> b.put("env", k + "=" + v));
        return b.put("cwd", cwd)
                .put("timeout_ms", timeout.toMillis())
                .put("stdin", stdin != null || pty)
                .put("background", background)
                .put("tag", tag)
                .put("pty", pty)
                .put("rows", pty ? Integer.toString(rows) : null)
                .put("cols", pty ? Integer.toString(cols) : null)
                .build();
    }

    public static final class Builder {
        private final List<String> argv;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String cwd;
        private Duration timeout = Duration.ofSeconds(30);
        private byte[] stdin;
        private boolean background;
        private String tag;
        private boolean pty;
        private int rows = 24;
        private int cols = 80;

        private Builder(String program, String... args) {
            this.argv = new java.util.ArrayList<>();
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

        public Builder background(String processTag) {
            this.background = true;
            this.tag = processTag;
            return this;
        }

        public Builder pty(int rows, int cols) {
            this.pty = true;
            this.rows = rows;
            this.cols = cols;
            return this;
        }

        public ExecRequest build() {
            return new ExecRequest(argv, env, cwd, timeout, stdin, background, tag, pty, rows, cols);
        }
    }
}
