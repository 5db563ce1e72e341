package dev.wrenn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * A WebSocket client for the stream endpoints' tests (the JDK's own): frames are queued as they
 * arrive and read with a bounded wait; a client that should not read is one opened with
 * {@code reading = false}, which never asks the JDK for a frame (TCP then pushes back).
 */
public final class WsClient implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final JsonNode CLOSED = Json.MAPPER.createObjectNode().put("type", "<closed>");

    private final WebSocket ws;
    private final BlockingQueue<JsonNode> frames;
    private final CompletableFuture<Integer> closeCode;

    private WsClient(WebSocket ws, BlockingQueue<JsonNode> frames, CompletableFuture<Integer> closeCode) {
        this.ws = ws;
        this.frames = frames;
        this.closeCode = closeCode;
    }

    /** Opens {@code path} (under /api/v1) with {@code key} as the X-API-Key header (null: none). */
    public static WsClient open(String baseUrl, String path, String key) {
        return open(baseUrl, path, key, true);
    }

    public static WsClient open(String baseUrl, String path, String key, boolean reading) {
        return open(baseUrl, path, key == null ? Map.of() : Map.of("X-API-Key", key), reading);
    }

    /** Opens {@code path} (under /api/v1) with these handshake headers (a browser's Cookie and Origin). */
    public static WsClient openWithHeaders(String baseUrl, String path, Map<String, String> headers) {
        return open(baseUrl, path, headers, true);
    }

    private static WsClient open(String baseUrl, String path, Map<String, String> headers, boolean reading) {
        BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> closeCode = new CompletableFuture<>();
        StringBuilder partial = new StringBuilder();
        WebSocket.Listener listener = new WebSocket.Listener() {
            @Override
            public void onOpen(WebSocket w) {
                if (reading) w.request(1);
            }

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    try {
                        frames.add(Json.MAPPER.readTree(partial.toString()));
                    } catch (IOException e) {
                        frames.add(Json.MAPPER.createObjectNode().put("type", "<not json>").put("data", partial.toString()));
                    }
                    partial.setLength(0);
                }
                w.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                frames.add(Json.MAPPER.createObjectNode().put("type", "<binary>"));
                w.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket w, int statusCode, String reason) {
                closeCode.complete(statusCode);
                frames.add(CLOSED);
                return null;
            }

            @Override
            public void onError(WebSocket w, Throwable error) {
                closeCode.complete(-1);
                frames.add(CLOSED);
            }
        };
        String ws = baseUrl.replaceFirst("^http", "ws") + "/api/v1" + path;
        WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        headers.forEach(b::header);
        try {
            return new WsClient(b.buildAsync(URI.create(ws), listener).get(10, TimeUnit.SECONDS), frames, closeCode);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) throw new Refused(h.getResponse().statusCode());
            throw new IllegalStateException("could not open " + ws, e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("could not open " + ws, e);
        }
    }

    /** The server answered the upgrade with a plain HTTP error. */
    public static final class Refused extends RuntimeException {
        public final int status;

        Refused(int status) {
            super("upgrade refused with HTTP " + status);
            this.status = status;
        }
    }

    public WsClient send(ObjectNode frame) {
        return sendText(Json.write(frame));
    }

    public WsClient sendText(String text) {
        ws.sendText(text, true).join();
        return this;
    }

    public WsClient sendBinary(byte[] data) {
        ws.sendBinary(ByteBuffer.wrap(data), true).join();
        return this;
    }

    public static ObjectNode frame(String type) {
        return Json.MAPPER.createObjectNode().put("type", type);
    }

    /** The next frame within {@code timeout}; a {@code <closed>} frame once the socket closed. */
    public JsonNode next(Duration timeout) {
        try {
            JsonNode f = frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (f == null) throw new AssertionError("no frame within " + timeout);
            if (f == CLOSED) frames.add(CLOSED);
            return f;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    /** Frames until (and with) the first one {@code last} accepts, within {@code timeout} in all. */
    public List<JsonNode> until(Predicate<JsonNode> last, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<JsonNode> seen = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("the awaited frame did not come within " + timeout + "; got " + seen);
            JsonNode f = next(Duration.ofNanos(left));
            seen.add(f);
            if (last.test(f)) return seen;
            if (f == CLOSED) throw new AssertionError("the socket closed before the awaited frame; got " + seen);
        }
    }

    /** Frames up to and with the one of {@code type}. */
    public List<JsonNode> untilType(String type, Duration timeout) {
        return until(f -> f.path("type").asText().equals(type), timeout);
    }

    /** The close code, once the server closed (within {@code timeout}). */
    public int closeCode(Duration timeout) {
        try {
            return closeCode.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("the socket was not closed within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    /** The frames received and not yet taken, without waiting. */
    public List<JsonNode> received() {
        List<JsonNode> out = new ArrayList<>();
        frames.drainTo(out);
        return out;
    }

    /** The close code if the server closes within {@code timeout}, else null (still open). */
    public Integer closeCodeIfClosed(Duration timeout) {
        try {
            return closeCode.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Drops the connection without a close handshake (a client that vanished). */
    public void abort() {
        ws.abort();
    }

    @Override
    public void close() {
        try {
            if (!ws.isOutputClosed()) ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            ws.abort();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ws.abort();
    }
}
