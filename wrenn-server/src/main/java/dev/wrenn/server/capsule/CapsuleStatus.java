package dev.wrenn.server.capsule;

import java.util.Locale;

/** A capsule's status as the API shows it (api.md §2). */
public enum CapsuleStatus {
    PENDING, STARTING, RUNNING, PAUSED, STOPPED, ERROR;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static CapsuleStatus fromWire(String s) {
        for (CapsuleStatus v : values()) {
            if (v.wire().equals(s)) return v;
        }
        throw new IllegalArgumentException("unknown capsule status '" + s + "'");
    }

    /** Statuses whose capsules hold (or are about to hold) host vCPUs and memory. */
    public boolean holdsResources() {
        return this == PENDING || this == STARTING || this == RUNNING;
    }
}
