package dev.wrenn.sdk;

import java.nio.charset.StandardCharsets;
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
public final class CommandStream extends StreamedProcess {
    private final boolean attached;
    private final GuestCalls guest;

    CommandStream(StreamConnection connection, CommandFrames frames, ProcessFrames.Started started, boolean attached,
                  GuestCalls guest) {
        super(connection, frames, started);
        this.attached = attached;
        this.guest = guest;
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
     * Closes the command's standard input, so it reads end of file. Does nothing once it has exited.
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
        return unlessExited(() -> connection.send(Json.object().put("type", "close_stdin")));
    }

    @Override
    CompletableFuture<Void> sendKill() {
        // an attach stream takes only input; the process is killed as any other, by its pid
        return attached ? guest.kill(Integer.toString(pid()), "SIGKILL") : connection.send(Json.object().put("type", "stop"));
    }

    /**
     * Ends the stream without waiting: the command is killed with it unless it was started detached or
     * this handle is connected to it, and no more output is delivered. Closing twice does nothing.
     */
    @Override
    public void close() {
        connection.close();
    }
}
