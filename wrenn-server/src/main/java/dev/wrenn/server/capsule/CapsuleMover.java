package dev.wrenn.server.capsule;

import dev.wrenn.host.api.FileSet;
import dev.wrenn.server.Clock;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.ops.Metrics;
import dev.wrenn.server.store.CapsuleStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves paused capsules off a host being drained with {@code --move}: the capsule's files go to
 * the other host with the most room, the record follows, then the first host lets go of them. It
 * stays paused throughout, under the MOVE operation, so nobody resumes it half-way. Whatever is
 * interrupted leaves the capsule whole on one host: the record names it, and the other host's
 * copy is removed when that host is reconciled.
 */
public final class CapsuleMover {
    private static final Logger log = LoggerFactory.getLogger(CapsuleMover.class);
    private static final Duration NO_ROOM_RETRY = Duration.ofSeconds(10);
    /** A capsule whose move failed is tried again after this long, not at every round of the housekeeper. */
    private static final Duration AFTER_FAILURE = Duration.ofSeconds(30);

    private final CapsuleStore store;
    private final Hosts hosts;
    private final Capacity capacity;
    private final FileCopier copier;
    private final Metrics metrics;
    private final Map<String, Long> failedAt = new ConcurrentHashMap<>();

    public CapsuleMover(CapsuleStore store, Hosts hosts, Capacity capacity, FileCopier copier, Metrics metrics) {
        this.store = store;
        this.hosts = hosts;
        this.capacity = capacity;
        this.copier = copier;
        this.metrics = metrics;
    }

    /** Whether the capsule may be tried now: never tried, or its last failure is {@link #AFTER_FAILURE} old. */
    boolean due(String capsuleId) {
        Long at = failedAt.get(capsuleId);
        return at == null || System.nanoTime() - at > AFTER_FAILURE.toNanos();
    }

    /** Moves the paused capsule; a failure is logged and leaves it where it was, to be tried again later. */
    void moveForDrain(CapsuleRecord c) {
        try {
            move(c);
            failedAt.remove(c.id());
        } catch (RuntimeException e) {
            failedAt.put(c.id(), System.nanoTime());
            log.atWarn().addKeyValue("capsule", c.id()).addKeyValue("host", c.hostId()).log("could not move the capsule: {}",
                    e.getMessage());
        }
    }

    private void move(CapsuleRecord c) {
        String id = c.id();
        Lifecycle.MOVE.check(c);
        List<String> targets = hosts.placeable().stream().filter(h -> !h.equals(c.hostId()) && !hosts.isLocal(h)).toList();
        if (targets.isEmpty()) throw ApiException.noCapacity("no other registered host takes capsules now", NO_ROOM_RETRY);
        String target = capacity.mostRoom(targets);
        if (!store.claim(id, Operation.MOVE, Lifecycle.MOVE.from(), Clock.millis())) {
            throw Lifecycle.MOVE.refusal(store.find(id).orElseThrow(() -> ApiException.notFound("capsule " + id + " does not exist")));
        }
        long t0 = System.nanoTime();
        String outcome = "error";
        log.atInfo().addKeyValue("capsule", id).addKeyValue("from", c.hostId()).addKeyValue("to", target).log("moving capsule");
        try {
            try {
                copier.copy(FileSet.capsule(id), c.hostId(), target);
            } catch (RuntimeException e) {
                store.release(id, Operation.MOVE);
                CapsuleService.destroyOnHostQuietly(hosts, target, id);
                throw HostErrors.map(e, "moving capsule " + id + " to host " + target);
            }
            if (!store.rehost(id, c.hostId(), target, Clock.millis())) {
                // the operation was taken from this control plane (thought gone): the capsule stays where the record says
                CapsuleService.destroyOnHostQuietly(hosts, target, id);
                return;
            }
            CapsuleService.destroyOnHostQuietly(hosts, c.hostId(), id);
            outcome = "ok";
            log.atInfo().addKeyValue("capsule", id).addKeyValue("from", c.hostId()).addKeyValue("to", target)
                    .addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000).log("capsule moved");
        } finally {
            metrics.operation("move", outcome, Duration.ofNanos(System.nanoTime() - t0));
        }
    }
}
