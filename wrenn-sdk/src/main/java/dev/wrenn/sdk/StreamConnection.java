package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One WebSocket to a stream endpoint (api.md §6a), for any of its protocols: JSON text frames in
 * and out, the error frames mapped to exceptions, and flow control. A frame is asked of the server
 * only once the previous one is handled (its {@link Reader} stage completed), so a slow reader
 * slows the server's sender and, through it, the process in the capsule.
 */
final class StreamConnection implements WebSocket.Listener {
    private static final System.Logger LOG = System.getLogger(StreamConnection.class.getName());
    /** How long a close may wait for the server's own close before the connection is dropped. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
    /** Bytes per data frame sent: as the server's own frames, well under its 1 MiB limit once in base64. */
    private static final int MAX_DATA_PER_FRAME = 32 * 1024;
    static final CompletionStage<Void> HANDLED = CompletableFuture.completedFuture(null);

    /** One protocol's side: the frames other than errors, and the end of the stream. */
    interface Reader {
        /**
         * Handles one frame; the next is asked for when the returned stage completes. A frame this
         * reader does not know is ignored (a newer server may add some).
         */
        CompletionStage<?> frame(String type, JsonNode frame);

        /**
         * The stream ended, called once: {@code failure} is null when the server closed it normally,
         * else a fatal error frame's exception, a broken connection, the reader's own failure or the
         * caller's close.
         */
        void ended(RuntimeException failure);
    }

    private final Reader reader;
    private final String what;
    private final StringBuilder partial = new StringBuilder();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final CompletableFuture<WebSocket> socket = new CompletableFuture<>();
    private CompletableFuture<?> sending = HANDLED.toCompletableFuture(); // guarded by this

    private StreamConnection(Reader reader, String what) {
        this.reader = reader;
        this.what = what;
    }

    /**
     * Opens {@code path} with {@code reader} reading its frames.
     *
     * @param what the stream as messages name it, e.g. {@code "the exec stream of capsule cl-…"}
     */
    static CompletableFuture<StreamConnection> open(Transport transport, String path, String what, Reader reader) {
        StreamConnection c = new StreamConnection(reader, what);
        return transport.webSocket(path, c).thenApply(ws -> {
            c.socket.complete(ws);
            return c;
        });
    }

    /**
     * Sends a frame once those sent before it are out (the JDK takes one at a time).
     *
     * @return completes when the frame is written to the connection
     */
    synchronized CompletableFuture<Void> send(ObjectNode frame) {
        if (ended.get()) return CompletableFuture.failedFuture(closed());
        String text = Json.text(frame);
        CompletableFuture<Void> sent = sending.handle((x, e) -> null)
                .thenCompose(x -> socket)
                .thenCompose(ws -> ws.sendText(text, true))
                .<Void>thenApply(ws -> null)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                        ended.get() ? closed() : new WrennConnectionException("sending to " + what + " failed: " + Futures.unwrap(e), e)));
        sending = sent;
        return sent;
    }

    /**
     * Sends bytes as frames of {@code type} with base64 {@code data}, cut so that no frame comes near
     * the server's limit for one frame (1 MiB).
     *
     * @return completes when every frame is written to the connection
     */
    CompletableFuture<Void> sendData(String type, byte[] data) {
        List<CompletableFuture<Void>> frames = new ArrayList<>();
        for (int off = 0; off < data.length; off += MAX_DATA_PER_FRAME) {
            byte[] piece = Arrays.copyOfRange(data, off, Math.min(data.length, off + MAX_DATA_PER_FRAME));
            frames.add(send(Json.object().put("type", type).put("data", Base64.getEncoder().encodeToString(piece))));
        }
        return CompletableFuture.allOf(frames.toArray(CompletableFuture[]::new));
    }

    /**
     * Ends the stream from this side: nothing more is read or sent, the close handshake is started and
     * the connection dropped if the server does not answer it within a few seconds. Does not wait.
     */
    void close() {
        end(closed());
        socket.thenAccept(ws -> {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "");
            CompletableFuture.delayedExecutor(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS).execute(ws::abort);
        });
    }

    private WrennException closed() {
        return new WrennException(0, "stream_closed", what + " is closed", null, null);
    }

    private void end(RuntimeException failure) {
        if (ended.compareAndSet(false, true)) reader.ended(failure);
    }

    @Override
    public void onOpen(WebSocket ws) {
        socket.complete(ws);
        ws.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        partial.append(data);
        if (!last) {
            ws.request(1);
            return null;
        }
        String text = partial.toString();
        partial.setLength(0);
        try {
            dispatch(Json.parseOrMissing(text))
                    .whenComplete((x, failure) -> {
                        if (failure == null) ws.request(1);
                        else fail(ws, failure);
                    });
        } catch (RuntimeException e) {
            fail(ws, e);
        }
        return null;
    }

    private CompletionStage<?> dispatch(JsonNode frame) {
        if (ended.get()) return HANDLED;
        String type = frame.path("type").asText("");
        if (!type.equals("error")) return reader.frame(type, frame);
        WrennException error = Errors.fromStreamError(frame.path("code").asText("stream_error"),
                frame.path("data").asText("an error with no message"));
        if (frame.path("fatal").asBoolean()) {
            end(error); // the server closes the socket next
        } else {
            // the server refused one frame of ours and goes on; nothing the caller waits for failed
            LOG.log(System.Logger.Level.WARNING, what + ": " + error.getMessage() + " (" + error.code() + ")");
        }
        return HANDLED;
    }

    /** A frame's handling failed (the caller's callback threw): the stream ends with that failure. */
    private void fail(WebSocket ws, Throwable failure) {
        Throwable t = Futures.unwrap(failure);
        end(t instanceof RuntimeException r ? r : new WrennException(0, "client_error", String.valueOf(t), null, t));
        ws.abort();
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        ws.request(1); // the protocol has text frames only
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        end(statusCode == WebSocket.NORMAL_CLOSURE ? null : new WrennConnectionException(what + " was closed by the server ("
                + statusCode + (reason == null || reason.isEmpty() ? "" : " " + reason) + ")", null));
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        end(new WrennConnectionException(what + " broke: " + error, error));
    }
}
