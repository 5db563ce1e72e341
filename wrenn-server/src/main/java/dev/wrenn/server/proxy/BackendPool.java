package dev.wrenn.server.proxy;

import dev.wrenn.host.api.PortStream;
import java.time.Duration;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Supplier;

/**
 * Keep-alive connections to the services in capsules, reused by later requests to the same port
 * of the same capsule (never across capsules, even at the same address). A connection idle for
 * {@link #MAX_IDLE} is closed: services close idle connections on their own (Node.js after 5 s),
 * and a request must not race such a close.
 */
final class BackendPool implements AutoCloseable {
    static final Duration MAX_IDLE = Duration.ofSeconds(4);
    private static final int MAX_IDLE_PER_PORT = 32;

    /**
     * Connections are pooled per capsule and port, on the capsule's host, per run of its VM: a
     * capsule resumed since ({@code startedAt} moved) may be on another network slot, where a
     * connection made before leads nowhere.
     */
    record Key(String capsuleId, int port, String hostId, Long startedAt) {}

    private final Map<Key, Deque<BackendConnection>> idle = new ConcurrentHashMap<>();
    private final Thread sweeper;
    private volatile boolean closed;

    BackendPool() {
        this.sweeper = Thread.ofVirtual().name("proxy-pool-sweeper").start(this::sweepLoop);
    }

    /** The most recently used idle connection that is still good, else a new one from {@code connect}. */
    BackendConnection lease(Key key, Supplier<PortStream> connect) {
        Deque<BackendConnection> q = idle.get(key);
        if (q != null) {
            long now = System.nanoTime();
            BackendConnection c;
            while ((c = q.pollFirst()) != null) {
                if (now - c.idleSince() < MAX_IDLE.toNanos() && c.usable()) return c;
                c.close();
            }
        }
        return new BackendConnection(connect.get(), key);
    }

    /** A connection whose exchange ended cleanly, ready for the next request. */
    void release(BackendConnection c) {
        if (closed) {
            c.close();
            return;
        }
        Deque<BackendConnection> q = idle.computeIfAbsent(c.key(), k -> new ConcurrentLinkedDeque<>());
        c.idle(System.nanoTime());
        q.addFirst(c);
        if (idle.get(c.key()) != q && q.remove(c)) {
            c.close();   // the sweeper dropped this queue meanwhile
            return;
        }
        if (q.size() > MAX_IDLE_PER_PORT) {
            BackendConnection oldest = q.pollLast();
            if (oldest != null) oldest.close();
        }
    }

    private void sweepLoop() {
        while (!closed) {
            try {
                Thread.sleep(MAX_IDLE);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            idle.forEach((key, q) -> {
                q.removeIf(c -> {
                    if (now - c.idleSince() < MAX_IDLE.toNanos()) return false;
                    c.close();
                    return true;
                });
                if (q.isEmpty()) idle.remove(key, q);
            });
        }
    }

    @Override
    public void close() {
        closed = true;
        sweeper.interrupt();
        idle.values().forEach(q -> q.forEach(BackendConnection::close));
        idle.clear();
    }
}
