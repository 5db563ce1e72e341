package dev.wrenn.sdk;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * An interactive terminal in a capsule (a pseudo-terminal running a shell or another program), from
 * {@link Capsule#pty(PtyOptions)}. Write what a person would type, resize it, read its screen output
 * from {@link #output()} or from the callback given to {@link Capsule#pty(PtyOptions, java.util.function.Consumer)}.
 *
 * <pre>{@code
 * try (Terminal t = capsule.pty(PtyOptions.builder().size(120, 40).build())) {
 *     t.write("echo hi; exit 3\n");
 *     t.output().transferTo(System.out);        // until the shell exits
 *     int status = t.waitFor(Duration.ofSeconds(5));   // 3
 * }
 * }</pre>
 *
 * <p>The terminal outlives this handle: {@link #close()} only detaches, and
 * {@code capsule.pty(PtyOptions.connect(tag))} attaches to it again, its last 64 KiB of output
 * first. It ends when its program exits or is {@linkplain #kill() killed}. Each blocking method has an
 * async twin ({@code …Async}). Thread-safe.
 */
public final class Terminal implements AutoCloseable {
    private final StreamConnection connection;
    private final TerminalFrames frames;
    private final ProcessFrames.Started started;
    private final OutputPipe output;

    /** @param output the pipe the output goes to, or null when it goes to a callback */
    Terminal(StreamConnection connection, TerminalFrames frames, ProcessFrames.Started started, OutputPipe output) {
        this.connection = connection;
        this.frames = frames;
        this.started = started;
        this.output = output;
    }

    /** {@return the terminal's tag ({@code pty-…}), to attach to it again with {@link PtyOptions#connect(String)}} */
    public String tag() {
        return started.tag();
    }

    /** {@return the process id of the terminal's program in the capsule} */
    public int pid() {
        return started.pid();
    }

    /**
     * The terminal's output (what its screen shows, escape sequences included) as a stream that ends
     * when the terminal's program exits. It holds at most 256 KiB: a reader that stops reading stalls
     * the terminal (the program's writes block) rather than filling memory. Closing it drops the
     * output from then on, so the terminal runs on unread.
     *
     * @return the output stream; reading it fails with an {@code IOException} whose cause is the
     *         {@link WrennException} when the stream ends otherwise (e.g. a pause)
     * @throws IllegalStateException when the output goes to the callback given to
     *                               {@link Capsule#pty(PtyOptions, java.util.function.Consumer)}
     */
    public InputStream output() {
        if (output == null) throw new IllegalStateException("this terminal's output goes to the callback it was opened with");
        return output;
    }

    /**
     * Types into the terminal: the bytes go to its program as keystrokes ({@code "\n"} is Enter,
     * {@code "\u0003"} Ctrl-C, {@code "\u0004"} Ctrl-D).
     *
     * @param data the bytes
     * @throws WrennException with code {@code stream_closed} when the stream has ended
     */
    public void write(byte[] data) {
        Futures.await(writeAsync(data));
    }

    /**
     * Types text, as UTF-8, into the terminal.
     *
     * @param text the text
     */
    public void write(String text) {
        write(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@link #write(byte[])}, without waiting.
     *
     * @param data the bytes
     * @return completes when they are sent
     */
    public CompletableFuture<Void> writeAsync(byte[] data) {
        return connection.sendData("input", data);
    }

    /**
     * Resizes the terminal; its program is told (SIGWINCH) and sees the new size.
     *
     * @param cols columns, at least 1
     * @param rows rows, at least 1
     */
    public void resize(int cols, int rows) {
        Futures.await(resizeAsync(cols, rows));
    }

    /**
     * {@link #resize(int, int)}, without waiting.
     *
     * @param cols columns, at least 1
     * @param rows rows, at least 1
     * @return completes when the request is sent
     */
    public CompletableFuture<Void> resizeAsync(int cols, int rows) {
        PtyOptions.checkSize(cols, rows);
        return connection.send(Json.object().put("type", "resize").put("cols", cols).put("rows", rows));
    }

    /** Kills the terminal's program (SIGKILL to its process group); the terminal ends. Does nothing once it has exited. */
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
        return connection.send(Json.object().put("type", "kill"));
    }

    /**
     * Waits for the terminal's program to exit.
     *
     * @param timeout the longest to wait
     * @return its exit code (128 + the signal when killed)
     * @throws WrennTimeoutException when it still runs after {@code timeout}
     * @throws WrennConflictException with code {@code capsule_paused} when a pause ended the stream (the
     *                                terminal is paused with the capsule; connect to it again after resume)
     * @throws WrennException with code {@code stream_closed} when this handle was closed first
     */
    public int waitFor(Duration timeout) {
        return frames.waitFor(timeout, "terminal " + tag());
    }

    /**
     * Waits for the terminal's program to exit, however long that takes (a person's shell session).
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

    /** Detaches without waiting: the terminal runs on, to be attached to again by its {@link #tag()}. */
    @Override
    public void close() {
        connection.close();
    }

    @Override
    public String toString() {
        return "Terminal[" + tag() + ", pid=" + pid() + "]";
    }
}
