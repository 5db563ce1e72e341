package dev.wrenn.sdk;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
public final class Terminal extends StreamedProcess {
    private final OutputPipe output;

    /** @param output the pipe the output goes to, or null when it goes to a callback */
    Terminal(StreamConnection connection, TerminalFrames frames, ProcessFrames.Started started, OutputPipe output) {
        super(connection, frames, started);
        this.output = output;
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

    @Override
    CompletableFuture<Void> sendKill() {
        return connection.send(Json.object().put("type", "kill"));
    }

    /** Detaches without waiting: the terminal runs on, to be attached to again by its {@link #tag()}. */
    @Override
    public void close() {
        connection.close();
    }
}
