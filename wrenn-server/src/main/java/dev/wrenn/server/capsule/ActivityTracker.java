package dev.wrenn.server.capsule;

import dev.wrenn.server.Clock;
import dev.wrenn.server.store.CapsuleStore;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * When each capsule was last used (exec, ping, files, processes), and which are in use right now.
 * The exact time is kept in memory; the database gets it at most once a second per capsule, which
 * is all its second-precision timestamps can show.
 */
public final class ActivityTracker {
    private static final long WRITE_EVERY_MS = 1000;

    private final CapsuleStore store;
    private final Map<String, Long> lastActive = new ConcurrentHashMap<>();
    private final Map<String, Long> lastWritten = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> inUse = new ConcurrentHashMap<>();

    public ActivityTracker(CapsuleStore store) {
        this.store = store;
    }

    public void touch(String id) {
        long now = Clock.millis();
        lastActive.merge(id, now, Math::max);
        Long written = lastWritten.get(id);
        if (written == null || now - written >= WRITE_EVERY_MS) {
            lastWritten.put(id, now);
            store.touch(id, now);
        }
    }

    /** Marks the capsule as in use until the returned handle is closed: it is not idle meanwhile. */
    public Use use(String id) {
        touch(id);
        inUse.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        return () -> {
            inUse.computeIfPresent(id, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
            touch(id);
        };
    }

    public boolean inUse(String id) {
        return inUse.containsKey(id);
    }

    /** The start of the capsule's current idle period: last activity, or when it last reached running. */
    public long idleSince(CapsuleRecord c) {
        long since = c.startedAt() == null ? c.lastUpdated() : c.startedAt();
        if (c.lastActiveAt() != null) since = Math.max(since, c.lastActiveAt());
        Long mem = lastActive.get(c.id());
        return mem == null ? since : Math.max(since, mem);
    }

    public void forget(String id) {
        lastActive.remove(id);
        lastWritten.remove(id);
        inUse.remove(id);
    }

    /** A use of a capsule; closing it ends the use. */
    @FunctionalInterface
    public interface Use extends AutoCloseable {
        @Override
        void close();
    }
}
