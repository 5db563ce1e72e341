package dev.wrenn.sdk;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which terminal {@link Capsule#pty(PtyOptions)} opens: a new one ({@link #builder()},
 * {@link #defaults()}), or one opened before, attached to again by its tag ({@link #connect(String)}).
 *
 * <pre>{@code
 * PtyOptions.builder().cmd("/usr/bin/python3").size(120, 40).env("TERM", "xterm-256color").cwd("/srv").build();
 * PtyOptions.connect("pty-1a2b3c4d");
 * }</pre>
 *
 * @param cmd the program to run in it; null for {@code /bin/bash} (or {@code /bin/sh} where there is no bash)
 * @param args its arguments
 * @param cols columns (default 80)
 * @param rows rows (default 24)
 * @param env environment variables added to the program's
 * @param cwd working directory (absolute, or relative to the home directory); null for home
 * @param tag the tag ({@code pty-…}) of a running terminal to attach to, or null to open a new one;
 *            when set, the other fields are not used
 */
public record PtyOptions(String cmd, List<String> args, int cols, int rows, Map<String, String> env, String cwd, String tag) {
    private static final int DEFAULT_COLS = 80;
    private static final int DEFAULT_ROWS = 24;

    /** Copies {@code args} and {@code env}, so the record stays immutable, and checks the size. */
    public PtyOptions {
        args = args == null ? List.of() : List.copyOf(args);
        env = env == null ? Map.of() : Map.copyOf(env);
        checkSize(cols, rows);
    }

    /** {@return options for a new 80×24 terminal running bash} */
    public static PtyOptions defaults() {
        return builder().build();
    }

    /**
     * Options that attach to a running terminal again; its last 64 KiB of output come first.
     *
     * @param tag the terminal's tag, from {@link Terminal#tag()}
     * @return the options
     */
    public static PtyOptions connect(String tag) {
        if (tag == null || tag.isEmpty()) throw new IllegalArgumentException("tag must not be empty");
        return new PtyOptions(null, null, DEFAULT_COLS, DEFAULT_ROWS, null, null, tag);
    }

    /** {@return a builder for a new terminal, with the defaults set} */
    public static Builder builder() {
        return new Builder();
    }

    static void checkSize(int cols, int rows) {
        if (cols < 1 || rows < 1) throw new IllegalArgumentException("a terminal needs at least 1 column and 1 row, got " + cols + "x" + rows);
    }

    /** Builds {@link PtyOptions} for a new terminal. */
    public static final class Builder {
        private final Map<String, String> env = new LinkedHashMap<>();
        private String cmd;
        private List<String> args = List.of();
        private int cols = DEFAULT_COLS;
        private int rows = DEFAULT_ROWS;
        private String cwd;

        private Builder() {}

        /**
         * Sets the program to run instead of the shell.
         *
         * @param cmd the program, e.g. {@code /usr/bin/python3}
         * @param args its arguments
         * @return this builder
         */
        public Builder cmd(String cmd, String... args) {
            this.cmd = cmd;
            this.args = List.of(args);
            return this;
        }

        /**
         * Sets the size.
         *
         * @param cols columns, at least 1
         * @param rows rows, at least 1
         * @return this builder
         */
        public Builder size(int cols, int rows) {
            checkSize(cols, rows);
            this.cols = cols;
            this.rows = rows;
            return this;
        }

        /**
         * Adds one environment variable.
         *
         * @param name variable name
         * @param value its value
         * @return this builder
         */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        /**
         * Sets the working directory.
         *
         * @param cwd working directory, absolute or relative to the home directory
         * @return this builder
         */
        public Builder cwd(String cwd) {
            this.cwd = cwd;
            return this;
        }

        /** {@return the options} */
        public PtyOptions build() {
            return new PtyOptions(cmd, args, cols, rows, env, cwd, null);
        }
    }
}
