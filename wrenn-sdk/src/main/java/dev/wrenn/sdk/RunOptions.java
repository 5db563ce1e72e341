package dev.wrenn.sdk;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to run a command in a capsule. Unset fields take the server's defaults: the user's home as
 * working directory, no extra environment, no standard input, and a 30 second timeout for
 * {@link CapsuleCommands#run(String, RunOptions) run} (none for a background or streamed command).
 *
 * <pre>{@code
 * RunOptions o = RunOptions.builder().env("DEBUG", "1").cwd("/srv").timeout(Duration.ofMinutes(5)).build();
 * }</pre>
 *
 * @param env environment variables added to the command's
 * @param cwd working directory (absolute, or relative to the home directory); null for home
 * @param timeout how long the command may run before its process group is killed; {@link Duration#ZERO}
 *                for no limit; null for the server's default (30 s for {@code run}, none for a streamed
 *                command, whose stream bounds it). Ignored for background commands.
 * @param stdin text given to the command on standard input, which is then closed; null for none
 * @param tag a name for a background or detached command, usable instead of its pid; null for a generated one
 * @param detach for a {@linkplain CapsuleCommands#stream(String, RunOptions, OutputHandler) streamed}
 *               command: it runs on when its stream is closed, as a background process that
 *               {@link CapsuleCommands#connect connect} can attach to again; ignored by {@code run}
 */
public record RunOptions(Map<String, String> env, String cwd, Duration timeout, String stdin, String tag, boolean detach) {
    /** Copies {@code env}, so the record stays immutable. */
    public RunOptions {
        env = env == null ? Map.of() : Map.copyOf(env);
    }

    /** {@return options with every field unset} */
    public static RunOptions defaults() {
        return builder().build();
    }

    /** {@return a builder with every field unset} */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link RunOptions}. */
    public static final class Builder {
        private final Map<String, String> env = new LinkedHashMap<>();
        private String cwd;
        private Duration timeout;
        private String stdin;
        private String tag;
        private boolean detach;

        private Builder() {}

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
         * Adds environment variables.
         *
         * @param vars variables to add to any set before
         * @return this builder
         */
        public Builder env(Map<String, String> vars) {
            env.putAll(vars);
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

        /**
         * Sets the command's timeout.
         *
         * @param timeout the longest the command may run (whole seconds); {@link Duration#ZERO} for no limit
         * @return this builder
         */
        public Builder timeout(Duration timeout) {
            if (timeout.isNegative()) throw new IllegalArgumentException("timeout must not be negative, got " + timeout);
            this.timeout = timeout;
            return this;
        }

        /**
         * Sets the text given on standard input.
         *
         * @param stdin text for the command's standard input
         * @return this builder
         */
        public Builder stdin(String stdin) {
            this.stdin = stdin;
            return this;
        }

        /**
         * Sets the tag of a background or detached command.
         *
         * @param tag its name (1 to 64 of {@code [a-zA-Z0-9._-]})
         * @return this builder
         */
        public Builder tag(String tag) {
            this.tag = tag;
            return this;
        }

        /**
         * Makes a streamed command outlive its stream.
         *
         * @param detach true to keep it running when its stream is closed
         * @return this builder
         */
        public Builder detach(boolean detach) {
            this.detach = detach;
            return this;
        }

        /** {@return the options} */
        public RunOptions build() {
            return new RunOptions(env, cwd, timeout, stdin, tag, detach);
        }
    }
}
