package dev.wrenn.sdk;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What the handles on a process followed over a stream share ({@link CommandStream}, {@link Terminal}):
 * the process the server named, the wait for its exit, the stream to it.
 */
abstract sealed class StreamedProcess implements AutoCloseable permits CommandStream, Terminal {
    final StreamConnection connection;
    private final ProcessFrames frames;
    private final ProcessFrames.Started started;

    StreamedProcess(StreamConnection connection, ProcessFrames frames, ProcessFrames.Started started) {
        this.connection = connection;
        this.frames = frames;
        this.started = started;
    }

    /** {@return the process id in the capsule} */
    public final int pid() {
        return started.pid();
    }

    /**
     * {@return the process's tag, usable instead of its pid: a terminal's {@code pty-…}; null for a
     *          command started neither detached nor tagged}
     */
    public final String tag() {
        return started.tag();
    }

    /** Kills the process group (SIGKILL); its exit (137) follows. Does nothing once it has exited. */
    public final void kill() {
        Futures.await(killAsync());
    }

    /**
     * {@link #kill()}, without waiting.
     *
     * @return completes when the kill is sent (the exit follows on {@link #onExit()})
     */
    public final CompletableFuture<Void> killAsync() {
        return unlessExited(this::sendKill);
    }

    /**
     * Sends a request that means nothing once the process has exited (kill, close its input): then it
     * is not sent, and a send that fails because the exit came meanwhile is no failure.
     */
    final CompletableFuture<Void> unlessExited(Supplier<CompletableFuture<Void>> request) {
        if (frames.exited()) return CompletableFuture.completedFuture(null);
        return request.get().exceptionallyCompose(failure -> frames.exited() ? CompletableFuture.completedFuture(null)
                : CompletableFuture.failedFuture(Futures.unwrap(failure)));
    }

    /** Asks for the process to be killed, as this kind of stream can. */
    abstract CompletableFuture<Void> sendKill();

    /**
     * Waits for the process to exit.
     *
     * @param timeout the longest to wait
     * @return its exit code: 128 + the signal when killed, 124 when its own timeout killed it
     * @throws WrennTimeoutException when it still runs after {@code timeout} (it is left running)
     * @throws WrennConflictException with code {@code capsule_paused} when a pause ended the stream (the
     *                                process is paused with the capsule; attach to it again after resume)
     * @throws WrennException with code {@code stream_closed} when this handle was closed first
     */
    public final int waitFor(Duration timeout) {
        return frames.waitFor(timeout, "process " + pid());
    }

    /**
     * Waits for the process to exit, however long that takes.
     *
     * @return its exit code
     */
    public final int waitFor() {
        return waitFor(null);
    }

    /** {@return a future of the exit code, failing as {@link #waitFor(Duration)} throws} */
    public final CompletableFuture<Integer> onExit() {
        return frames.exit();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[pid=" + pid() + (tag() == null ? "" : ", tag=" + tag()) + "]";
    }
}
