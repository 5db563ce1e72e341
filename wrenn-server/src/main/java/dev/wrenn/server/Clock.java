package dev.wrenn.server;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wall-clock milliseconds that never repeat within this process, so that "newest first" is a
 * total order even for objects created in the same millisecond.
 */
public final class Clock {
    private static final AtomicLong LAST = new AtomicLong();

    private Clock() {}

    public static long uniqueMillis() {
        long now = System.currentTimeMillis();
        return LAST.updateAndGet(last -> Math.max(now, last + 1));
    }

    public static long millis() {
        return System.currentTimeMillis();
    }

    public static Instant instant(long millis) {
        return Instant.ofEpochMilli(millis);
    }
}
