package dev.wrenn.sdk;

import java.util.Locale;

/**
 * A capsule's lifecycle status. A status this SDK does not know yet (sent by a newer server) is
 * {@link #UNKNOWN} rather than an error, so old clients keep working.
 */
public enum CapsuleStatus {
    /** Accepted; the VM has not started yet. */
    PENDING,
    /** The VM is booting or being restored. */
    STARTING,
    /** The VM runs and its guest agent answers. */
    RUNNING,
    /** Snapshotted to disk; no VM process, no CPU or memory held. */
    PAUSED,
    /** Destroyed (terminal). */
    STOPPED,
    /** Failed to boot, or the VM exited on its own; see {@link CapsuleInfo#statusReason()}. */
    ERROR,
    /** A status this version of the SDK does not know. */
    UNKNOWN;

    /** {@return the status as the API writes it, e.g. {@code running}} */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@return the status as the API writes it, e.g. {@code running}, as the seeds print it} */
    @Override
    public String toString() {
        return wire();
    }

    /** {@return true for {@link #STOPPED} and {@link #ERROR}: the capsule will never run again} */
    public boolean isTerminal() {
        return this == STOPPED || this == ERROR;
    }

    /**
     * The status for its API spelling.
     *
     * @param wire the status as the API writes it; null or unrecognized gives {@link #UNKNOWN}
     * @return the matching status
     */
    public static CapsuleStatus fromWire(String wire) {
        if (wire == null) return UNKNOWN;
        for (CapsuleStatus s : values()) {
            if (s != UNKNOWN && s.wire().equals(wire.toLowerCase(Locale.ROOT))) return s;
        }
        return UNKNOWN;
    }
}
