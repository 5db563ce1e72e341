package dev.wrenn.server.store;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Rows this process read, kept until this process changes them. Only correct where this process
 * is the only writer of the rows (the embedded SQLite database); a reader never stores a row that
 * a concurrent write may have made stale.
 */
final class RecordCache<T> {
    private final Map<String, T> rows = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private long generation;

    /** The cached row, or the loaded one, cached unless a write happened meanwhile. */
    Optional<T> get(String id, Supplier<Optional<T>> load) {
        T hit = rows.get(id);
        if (hit != null) return Optional.of(hit);
        long before;
        synchronized (lock) {
            before = generation;
        }
        Optional<T> row = load.get();
        row.ifPresent(r -> {
            synchronized (lock) {
                if (generation == before) rows.put(id, r);
            }
        });
        return row;
    }

    /** Called after a write to {@code id} (null: to any number of rows) has committed. */
    void invalidate(String id) {
        synchronized (lock) {
            generation++;
            if (id == null) rows.clear();
            else rows.remove(id);
        }
    }
}
