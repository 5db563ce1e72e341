package dev.wrenn.server.capsule;

import dev.wrenn.host.api.Host;
import dev.wrenn.server.Clock;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.ops.Metrics;
import dev.wrenn.server.store.CapsuleStore;
import java.time.Duration;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes room when the host's memory runs short by pausing the coldest idle capsules that have
 * auto-pause, least recently used first. A pause loses nothing, and the owner of such a capsule
 * asked for it to be paused when idle; capsules without auto-pause keep running, as their owners
 * asked. Called by admission when a create or resume finds too little room, and by the
 * housekeeper when running capsules have grown into the reserve.
 */
public final class MemoryPressure {
    private static final Logger log = LoggerFactory.getLogger(MemoryPressure.class);
    public static final String REASON = "memory_pressure";

    private final CapsuleStore store;
    private final String hostId;
    private final Host host;
    private final Capacity capacity;
    private final CapsuleService capsules;
    private final ActivityTracker activity;
    private final Metrics metrics;
    private final Duration minIdle;

    /** @param minIdle a capsule used within this long is not idle enough to be paused for room */
    public MemoryPressure(CapsuleStore store, String hostId, Host host, Capacity capacity, CapsuleService capsules,
                          ActivityTracker activity, Metrics metrics, Duration minIdle) {
        this.store = store;
        this.hostId = hostId;
        this.host = host;
        this.capacity = capacity;
        this.capsules = capsules;
        this.activity = activity;
        this.metrics = metrics;
        this.minIdle = minIdle;
    }

    /** When free memory has fallen below the reserve, pauses capsules until it is back (the housekeeper's check). */
    public void check() {
        long shortMb = capacity.reserveMb() - host.capacity().memoryFreeMb();
        if (shortMb > 0) relieve(shortMb);
    }

    /** Pauses the coldest idle capsules with auto-pause until {@code mb} MiB are free again; the MiB it freed. */
    public synchronized long relieve(long mb) {
        long before = host.capacity().memoryFreeMb();
        long freed = 0;
        long now = Clock.millis();
        for (CapsuleRecord c : coldest(now)) {
            if (freed >= mb) break;
            long idleMs = now - activity.idleSince(c);
            try {
                capsules.pause(c, REASON);
            } catch (ApiException e) {
                continue;   // it was just used, paused or destroyed: the next one
            }
            metrics.pressurePause();
            freed = host.capacity().memoryFreeMb() - before;
            log.atWarn().addKeyValue("capsule", c.id()).addKeyValue("idle_s", idleMs / 1000)
                    .addKeyValue("freed_mb", freed).addKeyValue("wanted_mb", mb).log("paused an idle capsule for memory");
        }
        return Math.max(0, freed);
    }

    /** Running capsules with auto-pause, unused for {@link #minIdle} and not in use now, least recently used first. */
    private List<CapsuleRecord> coldest(long now) {
        return store.listByStatus(hostId, EnumSet.of(CapsuleStatus.RUNNING)).stream()
                .filter(c -> c.timeoutSec() > 0 && c.operation() == null && !activity.inUse(c.id()))
                .filter(c -> now - activity.idleSince(c) >= minIdle.toMillis())
                .sorted(Comparator.comparingLong(activity::idleSince))
                .toList();
    }
}
