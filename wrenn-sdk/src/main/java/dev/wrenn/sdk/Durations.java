package dev.wrenn.sdk;

import java.time.Duration;

/** Durations as messages and as the API's whole seconds. */
final class Durations {
    private Durations() {}

    static String readable(Duration d) {
        if (d == null) return "no limit";
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }

    /** Whole seconds, rounded up, so a limit is never shortened. */
    static long ceilSeconds(Duration d) {
        long s = d.getSeconds();
        return d.getNano() > 0 ? s + 1 : s;
    }
}
