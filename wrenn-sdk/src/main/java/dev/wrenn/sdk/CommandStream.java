package dev.wrenn.sdk;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A command in a capsule whose output is streamed as it runs, from
 * {@link CapsuleCommands#stream(String, OutputHandler)} (a command it started) or
 * {@link CapsuleCommands#connect(String, OutputHandler)} (a process that was already running). Its
 * output goes to the {@link OutputHandler} given there; this handle writes its standard input, kills
 * it and waits for its exit.
 *
 * <pre>{@code
 * try (CommandStream cat = capsule.commands().stream("cat", OutputHandler.text(System.out::print, System.err::print))) {
 *     cat.writeStdin("hello\n");
 *     cat.closeStdin();
 *     int exitCode = cat.waitFor(Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>Closing the handle ends the stream: a command it started is killed with it, unless it was started
 * with {@link RunOptions#detach()}; a detached command, or one it {@linkplain CapsuleCommands#connect
 * connected} to, runs on. Each blocking method has an async twin ({@code …Async}) that returns at once.
 * Thread-safe.
 */
public final class CommandStream implements AutoCloseable {
    private final StreamConnection connection;
    private final CommandFrames frames;
    private final ProcessFrames.Started started;
    private final boolean attached;
    private final GuestCalls guest;

    CommandStream(StreamConnection connection, CommandFrames frames, ProcessFrames.Started started, boolean attached,
                  GuestCalls guest) {
        this.connection = connection;
        this.frames = frames;
        this.started = started;
        this.attached = attached;
        this.guest = guest;
    }

    /** {@return the process id of the command in the capsule} */
    public int pid() {
        return started.pid();
    }

    /** {@return the command's tag, usable instead of its pid; null for a command started neither detached nor tagged} */
    public String tag() {
        return started.tag();
    }

    /**
     * Writes bytes to the command's standard input; returns once they are sent. Writes keep their
     * order, and a command that does not read its input holds the writer back.
     *
     * @param data the bytes
     * @throws WrennException with code {@code stream_closed} when the stream has ended
     */
    public void writeStdin(byte[] data) {
        Futures.await(writeStdinAsync(data));
    }

    /**
     * Writes text, as UTF-8, to the command's standard input.
     *
     * @param text the text
     */
    public void writeStdin(String text) {
        writeStdin(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@link #writeStdin(byte[])}, without waiting.
     *
     * @param data the bytes
     * @return completes when they are sent
     */
    public CompletableFuture<Void> writeStdinAsync(byte[] data) {
        return connection.sendData("stdin", data);
    }

    /**
     * Closes the command's standard input, so it reads end of file.
     *
     * @throws IllegalStateException on a handle from {@link CapsuleCommands#connect connect}: an attached
     *                               stream can only write input, not close it
     */
    public void closeStdin() {
        Futures.await(closeStdinAsync());
    }

    /**
     * {@link #closeStdin()}, without waiting.
     *
     * @return completes when the request is sent
     */
    public CompletableFuture<Void> closeStdinAsync() {
        if (attached) {
            throw new IllegalStateException("a connected stream can write stdin but not close it; kill the process instead");
        }
        return connection.send(Json.object().put("type", "close_stdin"));
    }

    /** Kills the command's process group (SIGKILL); its exit (137) follows. Does nothing once it has exited. */
    public void kill() {
        Futures.await(killAsync());
    }

    /**
     * {@link #kill()}, without waiting.
     *
     * @return completes when the kill is sent (the exit follows on {@link #onExit()})
     */
    public CompletableFuture<Void> killAsync() {
        if (frames.exited()) return CompletableFuture.completedFuture(null);
        // an attach stream takes only input; the process is killed as any other, by its pid
        return attached ? guest.kill(Integer.toString(pid()), "SIGKILL")
                : connection.send(Json.object().put("type", "stop"));
    }

    /**
     * Waits for the command to exit.
     *
     * @param timeout the longest to wait
     * @return its exit code: 128 + the signal when killed, 124 when its own timeout killed it
     * @throws WrennTimeoutException when it still runs after {@code timeout} (it is left running)
     * @throws WrennConflictException with code {@code capsule_paused} when a pause ended the stream (the
     *                                process is paused with the capsule; {@link CapsuleCommands#connect
     *                                connect} to it again after resume)
     * @throws WrennException with code {@code stream_closed} when the stream was closed before the exit
     */
    public int waitFor(Duration timeout) {
        return frames.waitFor(timeout, "process " + pid());
    }

    /**
     * Waits for the command to exit, however long that takes.
     *
     * @return its exit code
     */
    public int waitFor() {
        return waitFor(null);
    }

    /** {@return a future of the exit code, failing as {@link #waitFor(Duration)} throws} */
    public CompletableFuture<Integer> onExit() {
        return frames.exit();
    }

    /**
     * Ends the stream without waiting: the command is killed with it unless it was started detached or
     * this handle is connected to it, and no more output is delivered. Closing twice does nothing.
     */
    @Override
    public void close() {
        connection.close();
    }

    @Override
    public String toString() {
        return "CommandStream[pid=" + pid() + (tag() == null ? "" : ", tag=" + tag()) + "]";
    }
}
