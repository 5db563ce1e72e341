package dev.wrenn.sdk;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Runs commands in one capsule; get it from {@link Capsule#commands()}. Calls block until the server
 * has answered; a foreground command's call lasts as long as the command (up to its timeout).
 *
 * <pre>{@code
 * CommandResult r = capsule.commands().run("echo hello && uname -r");
 * ProcessInfo server = capsule.commands().runInBackground("python3 -m http.server 8000",
 *         RunOptions.builder().tag("web").build());
 * capsule.commands().kill("web");
 * }</pre>
 *
 * <p>{@link #stream(String, OutputHandler) stream} runs a command with its output delivered as it is
 * written and its standard input open; {@link #connect(String, OutputHandler) connect} follows a
 * process that already runs. Their {@code …Async} twins return at once with a future.
 */
public final class CapsuleCommands {
    private static final String SHELL = "/bin/sh";

    private final GuestCalls guest;
    private final GuestStreams streams;

    CapsuleCommands(GuestCalls guest, GuestStreams streams) {
        this.guest = guest;
        this.streams = streams;
    }

    /**
     * Runs a shell command line ({@code /bin/sh -c}) in the foreground with the server's defaults
     * (home directory, 30 s timeout).
     *
     * @param shellLine the command line, e.g. {@code "ls -l /tmp | wc -l"}
     * @return its exit code and output; a non-zero exit is a result, not an exception
     * @throws WrennConflictException when the capsule is not running
     */
    public CommandResult run(String shellLine) {
        return run(shellLine, RunOptions.defaults());
    }

    /**
     * Runs a shell command line ({@code /bin/sh -c}) in the foreground.
     *
     * @param shellLine the command line
     * @param options environment, working directory, timeout, standard input
     * @return its exit code and output; when the timeout kills it, {@link CommandResult#timedOut()} is true
     */
    public CommandResult run(String shellLine, RunOptions options) {
        return Futures.await(guest.run(SHELL, List.of("-c", shellLine), options));
    }

    /**
     * Runs a program with arguments, without a shell (no quoting needed), in the foreground.
     *
     * @param argv the program and its arguments, e.g. {@code List.of("python3", "-c", code)}
     * @param options environment, working directory, timeout, standard input
     * @return its exit code and output
     */
    public CommandResult run(List<String> argv, RunOptions options) {
        if (argv.isEmpty()) throw new IllegalArgumentException("argv must name a program");
        return Futures.await(guest.run(argv.get(0), argv.subList(1, argv.size()), options));
    }

    /**
     * Starts a shell command line in the background; it outlives this call and keeps running across
     * pause and resume.
     *
     * @param shellLine the command line
     * @param options environment, working directory, standard input and {@link RunOptions#tag() tag}
     * @return its pid and tag
     */
    public ProcessInfo runInBackground(String shellLine, RunOptions options) {
        return Futures.await(guest.start(SHELL, List.of("-c", shellLine), options));
    }

    /**
     * Runs a shell command line ({@code /bin/sh -c}) with its output streamed to {@code handler} as it
     * is written; returns once it runs. It has no timeout: closing the returned handle kills it.
     *
     * @param shellLine the command line
     * @param handler receives its stdout and stderr
     * @return the running command: write its stdin, kill it, wait for its exit
     * @throws WrennConflictException when the capsule is not running
     */
    public CommandStream stream(String shellLine, OutputHandler handler) {
        return stream(shellLine, RunOptions.defaults(), handler);
    }

    /**
     * Runs a shell command line ({@code /bin/sh -c}) with its output streamed to {@code handler}.
     *
     * @param shellLine the command line
     * @param options environment, working directory, timeout (none when unset), standard input to write
     *                first (then closed), and {@link RunOptions#detach() detach} with a tag to let it
     *                outlive the stream
     * @param handler receives its stdout and stderr
     * @return the running command
     */
    public CommandStream stream(String shellLine, RunOptions options, OutputHandler handler) {
        return Futures.await(streamAsync(shellLine, options, handler));
    }

    /**
     * Runs a program with arguments, without a shell, with its output streamed to {@code handler}.
     *
     * @param argv the program and its arguments
     * @param options environment, working directory, timeout, standard input, detach and tag
     * @param handler receives its stdout and stderr
     * @return the running command
     */
    public CommandStream stream(List<String> argv, RunOptions options, OutputHandler handler) {
        return Futures.await(streamAsync(argv, options, handler));
    }

    /**
     * {@link #stream(String, RunOptions, OutputHandler)}, without waiting.
     *
     * @param shellLine the command line
     * @param options environment, working directory, timeout, standard input, detach and tag
     * @param handler receives its stdout and stderr
     * @return completes with the running command
     */
    public CompletableFuture<CommandStream> streamAsync(String shellLine, RunOptions options, OutputHandler handler) {
        return streams.exec(SHELL, List.of("-c", shellLine), options, handler);
    }

    /**
     * {@link #stream(List, RunOptions, OutputHandler)}, without waiting.
     *
     * @param argv the program and its arguments
     * @param options environment, working directory, timeout, standard input, detach and tag
     * @param handler receives its stdout and stderr
     * @return completes with the running command
     */
    public CompletableFuture<CommandStream> streamAsync(List<String> argv, RunOptions options, OutputHandler handler) {
        if (argv.isEmpty()) throw new IllegalArgumentException("argv must name a program");
        return streams.exec(argv.get(0), argv.subList(1, argv.size()), options, handler);
    }

    /**
     * Attaches to a process that is already running (a background command, a detached stream, a
     * terminal's program): its last 64 KiB of output come first, to {@link OutputHandler#onReplay},
     * then its output from now on. Closing the handle detaches; the process runs on.
     *
     * @param pidOrTag its pid (as text) or its tag
     * @param handler receives its output
     * @return the attached process: write its stdin, kill it, wait for its exit
     * @throws WrennNotFoundException when no such process runs
     */
    public CommandStream connect(String pidOrTag, OutputHandler handler) {
        return Futures.await(connectAsync(pidOrTag, handler));
    }

    /**
     * {@link #connect(String, OutputHandler)}, without waiting.
     *
     * @param pidOrTag its pid (as text) or its tag
     * @param handler receives its output
     * @return completes with the attached process
     */
    public CompletableFuture<CommandStream> connectAsync(String pidOrTag, OutputHandler handler) {
        return streams.attach(pidOrTag, handler);
    }

    /** {@return the background processes started through the API that are still running} */
    public List<ProcessInfo> list() {
        return Futures.await(guest.processes());
    }

    /**
     * Kills a background process with SIGKILL.
     *
     * @param pidOrTag its pid (as text) or its tag
     * @throws WrennNotFoundException when no such process runs
     */
    public void kill(String pidOrTag) {
        kill(pidOrTag, "SIGKILL");
    }

    /**
     * Sends a signal to a background process.
     *
     * @param pidOrTag its pid (as text) or its tag
     * @param signal one of SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2
     * @throws WrennNotFoundException when no such process runs
     */
    public void kill(String pidOrTag, String signal) {
        Futures.await(guest.kill(pidOrTag, signal));
    }
}
