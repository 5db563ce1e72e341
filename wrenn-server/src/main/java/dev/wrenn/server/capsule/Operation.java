package dev.wrenn.server.capsule;

import java.util.Locale;

/**
 * A lifecycle operation that holds a capsule's single operation slot while it runs. The slot is
 * a column of the capsule's row, so a restarted server knows what was interrupted.
 */
public enum Operation {
    CREATE, PAUSE, RESUME, DESTROY, SNAPSHOT,
    /** A new network policy (api.md §8). */
    NETWORK,
    /** A paused capsule's files going to another host (a drain). */
    MOVE;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Operation fromWire(String s) {
        return s == null ? null : valueOf(s.toUpperCase(Locale.ROOT));
    }

    /** "being paused", for messages. */
    public String progressive() {
        return switch (this) {
            case CREATE -> "being created";
            case PAUSE -> "being paused";
            case RESUME -> "being resumed";
            case DESTROY -> "being destroyed";
            case SNAPSHOT -> "being snapshotted";
            case NETWORK -> "having its network changed";
            case MOVE -> "being moved to another host";
        };
    }
}
