package dev.wrenn.server.cluster;

import dev.wrenn.server.Clock;
import dev.wrenn.server.Ids;
import dev.wrenn.server.store.ControlPlaneStore;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This control plane among those sharing the database: it heartbeats, so others can tell when it
 * is gone (and finish the operations it left), and it competes for the lease of the background
 * work that must run once across them all. One that stops heartbeating loses the lease after
 * {@code silentAfter}; clocks of control planes are assumed to agree to well within that (NTP).
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
    static final String HOUSEKEEPING = "housekeeping";
    /** Control planes silent this long are forgotten (their orphaned operations were adopted long before). */
    private static final Duration FORGET_AFTER = Duration.ofDays(1);

    private final ControlPlaneStore store;
    private final Duration silentAfter;
    private final String id = Ids.CONTROL_PLANE.next();
    private final long startedAt = Clock.millis();
    private long lastBeat;
    private boolean leading;

    public ControlPlane(ControlPlaneStore store, Duration silentAfter) {
        this.store = store;
        this.silentAfter = silentAfter;
        store.beat(id, startedAt, startedAt);
    }

    public String id() {
        return id;
    }

    /**
     * Heartbeats (at most three times per {@code silentAfter}) and takes or renews the lease;
     * answers whether this control plane does the shared background work now.
     */
    public synchronized boolean beat() {
        long now = Clock.millis();
        if (now - lastBeat < silentAfter.toMillis() / 3) return leading;
        store.beat(id, startedAt, now);
        boolean was = leading;
        leading = store.lease(HOUSEKEEPING, id, now, now + silentAfter.toMillis());
        lastBeat = now;
        if (leading != was) {
            log.atInfo().addKeyValue("control_plane", id).log(leading
                    ? "this control plane now runs the background work shared by all (auto-pause, retention, host health)"
                    : "another control plane runs the shared background work now");
        }
        if (leading) store.forgetSilentBefore(now - FORGET_AFTER.toMillis());
        return leading;
    }

    /** Control planes heard from before this instant are gone. */
    public long liveCutoff() {
        return Clock.millis() - silentAfter.toMillis();
    }

    /** Lets the lease go and leaves the table, so others take over the work and its operations at once. */
    @Override
    public synchronized void close() {
        try {
            store.release(HOUSEKEEPING, id);
            store.remove(id);
        } catch (RuntimeException e) {
            log.atWarn().addKeyValue("control_plane", id).log("could not leave the control plane table: {}", e.getMessage());
        }
    }
}
