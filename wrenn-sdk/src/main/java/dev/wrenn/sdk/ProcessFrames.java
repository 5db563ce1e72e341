package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What the streams of a process share, whatever their protocol: the frame that names the process
 * once it runs (or is attached to), the exit frame, and the end of the stream before either came.
 * Subclasses read the output frames.
 */
abstract class ProcessFrames implements StreamConnection.Reader {
    /** The process the stream follows. */
    record Started(int pid, String tag) {}

    private final String startType;
    private final CompletableFuture<Started> started = new CompletableFuture<>();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    /** @param startType the type of the frame that names the process: {@code start}, or {@code started} for a terminal */
    ProcessFrames(String startType) {
        this.startType = startType;
    }

    /** Reads one output frame of this protocol; another type is ignored (a newer server may send more). */
    abstract CompletionStage<?> output(String type, JsonNode frame);

    @Override
    public final CompletionStage<?> frame(String type, JsonNode frame) {
        if (type.equals(startType)) {
            started.complete(new Started(frame.path("pid").asInt(), frame.hasNonNull("tag") ? frame.get("tag").asText() : null));
        } else if (type.equals("exit")) {
            exit.complete(frame.path("exit_code").asInt());
        } else {
            return output(type, frame);
        }
        return StreamConnection.HANDLED;
    }

    @Override
    public final void ended(RuntimeException failure) {
        RuntimeException why = failure != null ? failure
                : new WrennException(0, "stream_closed", "the stream ended before the process did", null, null);
        started.completeExceptionally(why);
        exit.completeExceptionally(why);
    }

    /** Completes when the server names the process; fails when the stream ends first (e.g. the capsule is missing). */
    CompletableFuture<Started> started() {
        return started;
    }

    /** A future of the exit code that the caller may cancel or complete without touching the stream's own. */
    CompletableFuture<Integer> exit() {
        return exit.copy();
    }

    boolean exited() {
        return exit.isDone();
    }

    /** Waits for the exit code, up to {@code timeout} (null: no limit). */
    int waitFor(Duration timeout, String what) {
        return Futures.await(exit(), timeout, () -> what + " did not exit within " + Durations.readable(timeout) + "; it still runs");
    }

    /** The bytes of an output frame: its {@code data} in base64 (binary output, and a terminal's always). */
    static byte[] data(JsonNode frame) {
        return Base64.getDecoder().decode(frame.path("data").asText(""));
    }
}
