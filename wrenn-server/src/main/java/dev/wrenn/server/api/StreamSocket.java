package dev.wrenn.server.api;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/**
 * The server's end of one stream's WebSocket, sending with back-pressure: {@link #send} returns
 * once the frame is written out, so a client that does not read stops the sender (and, through the
 * guest protocol's credit, the process) instead of filling the server's memory. A client that
 * reads nothing for {@link #WRITE_TIMEOUT} is disconnected.
 */
final class StreamSocket {
    static final Duration WRITE_TIMEOUT = Duration.ofMinutes(5);
    /** A last frame before a close is not worth waiting long for. */
    private static final Duration LAST_FRAME_TIMEOUT = Duration.ofSeconds(5);

    /** Close codes of RFC 6455 this server uses. */
    static final int NORMAL = 1000;
    static final int POLICY = 1008;
    static final int SERVER_ERROR = 1011;

    /** The socket is gone (closed by either side, or a write timed out). */
    static final class Gone extends Exception {
        Gone(String message) {
            super(message);
        }
    }

    private final Session session;
    private final ReentrantLock sending = new ReentrantLock();

    StreamSocket(Session session) {
        this.session = session;
    }

    /** Sends one text frame and waits until it is written; frames from several threads go out whole, one at a time. */
    void send(String frame) throws Gone {
        send(frame, WRITE_TIMEOUT);
    }

    private void send(String frame, Duration timeout) throws Gone {
        sending.lock();
        try {
            if (!session.isOpen()) throw new Gone("the socket is closed");
            CompletableFuture<Void> written = new CompletableFuture<>();
            session.sendText(frame, Callback.from(() -> written.complete(null), written::completeExceptionally));
            written.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            session.disconnect();
            throw new Gone("the client read nothing for " + timeout.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw new Gone("sending failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Gone("interrupted while sending");
        } finally {
            sending.unlock();
        }
    }

    /** Sends a frame unless another is being sent (a ping need not queue behind a client that does not read). */
    void offer(String frame) {
        if (!sending.tryLock()) return;
        try {
            if (session.isOpen()) session.sendText(frame, Callback.NOOP);
        } finally {
            sending.unlock();
        }
    }

    /** A WebSocket ping, unless a frame is being sent (which keeps the socket busy anyway). */
    void ping() {
        if (!sending.tryLock()) return;
        try {
            if (session.isOpen()) session.sendPing(ByteBuffer.allocate(0), Callback.NOOP);
        } finally {
            sending.unlock();
        }
    }

    /** Sends a last frame (if the socket still takes one) and closes. */
    void close(int code, String reason, String lastFrame) {
        if (lastFrame != null) {
            try {
                send(lastFrame, LAST_FRAME_TIMEOUT);
            } catch (Gone e) {
                // closing anyway
            }
        }
        if (session.isOpen()) session.close(code, reason, Callback.NOOP);
    }

    boolean isOpen() {
        return session.isOpen();
    }
}
