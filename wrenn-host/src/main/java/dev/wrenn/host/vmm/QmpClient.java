package dev.wrenn.host.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A client of QEMU's machine protocol (QMP) over its unix socket: line-delimited JSON, commands
 * matched to answers by id, asynchronous events passed to a listener. The connection closing
 * means the VMM process is gone, which {@link #closedFuture()} reports.
 */
public final class QmpClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_LINE = 4 << 20;

    private final String name;
    private final SocketChannel channel;
    private final BufferedReader reader;
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final CompletableFuture<Void> greeted = new CompletableFuture<>();
    private volatile Consumer<JsonNode> eventListener = e -> { };

    private QmpClient(String name, SocketChannel channel) {
        this.name = name;
        this.channel = channel;
        this.reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    /** Connects, reads the greeting and negotiates capabilities. */
    public static QmpClient connect(String name, Path socket, Duration timeout) throws IOException {
        SocketChannel ch = dev.wrenn.host.guest.UnixSockets.connect(socket);
        QmpClient qmp = new QmpClient(name, ch);
        Thread.ofVirtual().name("qmp-" + name).start(qmp::readLoop);
        try {
            qmp.greeted.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            qmp.execute("qmp_capabilities", null, timeout);
        } catch (ExecutionException | TimeoutException e) {
            qmp.close();
            throw new QmpException("QMP of " + name + " did not greet within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            qmp.close();
            throw new QmpException("interrupted while connecting to QMP of " + name);
        } catch (RuntimeException e) {
            qmp.close();
            throw e;
        }
        return qmp;
    }

    public void onEvent(Consumer<JsonNode> listener) {
        this.eventListener = listener;
    }

    public JsonNode execute(String command, Duration timeout) {
        return execute(command, null, timeout);
    }

    /** Runs a command and returns its {@code return} value; an {@code error} answer is a QmpException. */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        String id = Long.toString(ids.incrementAndGet());
        ObjectNode msg = JSON.createObjectNode().put("execute", command).put("id", id);
        if (arguments != null) msg.set("arguments", JSON.valueToTree(arguments));
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            byte[] line = (JSON.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (channel) {
                ByteBuffer buf = ByteBuffer.wrap(line);
                while (buf.hasRemaining()) channel.write(buf);
            }
            JsonNode reply = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.has("error")) {
                JsonNode err = reply.get("error");
                throw new QmpException(name + ": QMP " + command + " failed: " + err.path("class").asText()
                        + ": " + err.path("desc").asText());
            }
            return reply.path("return");
        } catch (IOException e) {
            throw new QmpException(name + ": QMP " + command + " could not be sent: " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new QmpException(name + ": QMP " + command + " got no answer within " + timeout);
        } catch (ExecutionException e) {
            throw new QmpException(name + ": QMP connection closed during " + command, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException(name + ": interrupted during QMP " + command);
        } finally {
            pending.remove(id);
        }
    }

    /** Completes when the connection ends: QEMU exited (or was told to quit). */
    public CompletableFuture<Void> closedFuture() {
        return closed;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a unix socket that is already gone has nothing left to report
        }
    }

    private void readLoop() {
        try {
            String line;
            while ((line = readBoundedLine()) != null) {
                JsonNode msg = JSON.readTree(line);
                if (msg.has("QMP")) {
                    greeted.complete(null);
                } else if (msg.has("event")) {
                    eventListener.accept(msg);
                } else if (msg.has("id")) {
                    CompletableFuture<JsonNode> f = pending.get(msg.get("id").asText());
                    if (f != null) f.complete(msg);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the socket closing under us is how QEMU's exit shows up; fall through to cleanup
        } finally {
            QmpException gone = new QmpException("QMP connection of " + name + " closed");
            greeted.completeExceptionally(gone);
            pending.values().forEach(f -> f.completeExceptionally(gone));
            close();
            closed.complete(null);
        }
    }

    private String readBoundedLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = reader.read()) >= 0) {
            if (c == '\n') return sb.toString();
            if (sb.length() >= MAX_LINE) throw new IOException("QMP line longer than " + MAX_LINE);
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
