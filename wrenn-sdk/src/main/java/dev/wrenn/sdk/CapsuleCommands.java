package dev.wrenn.sdk;

import java.util.List;

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
 */
public final class CapsuleCommands {
    private static final String SHELL = "/bin/sh";

    private final GuestCalls guest;

    CapsuleCommands(GuestCalls guest) {
        this.guest = guest;
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
