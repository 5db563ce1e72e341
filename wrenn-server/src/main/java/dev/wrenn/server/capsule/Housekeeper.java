package dev.wrenn.server.capsule;

import dev.wrenn.server.Clock;
import dev.wrenn.server.OperationTracker;
import dev.wrenn.server.cluster.ControlPlane;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.store.CapsuleStore;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's own periodic work: pausing idle capsules (api.md §4, within 2 s of their timeout)
 * and making room when running capsules have grown into the memory reserve on its embedded host;
 * and, while this control plane holds the lease of work shared by all ({@link ControlPlane}), the
 * same pausing on registered hosts, emptying draining hosts (pausing their running capsules, moving
 * their paused ones when asked), forgetting stopped capsules after the retention period and
 * {@code sharedWork} (hosts gone silent, operations of control planes gone).
 */
public final class Housekeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Housekeeper.class);
    private static final Duration PURGE_EVERY = Duration.ofMinutes(10);

    private final ControlPlane controlPlane;
    private final CapsuleStore store;
    private final Hosts hosts;
    private final CapsuleService capsules;
    private final CapsuleMover mover;
    private final Runnable relieveMemory;
    private final OperationTracker tracker;
    private final Duration interval;
    private final Duration retention;
    private final Runnable sharedWork;
    /** Capsules being paused and hosts a capsule is being moved off, by key. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean stopped;
    private long lastPurge;

    public Housekeeper(ControlPlane controlPlane, CapsuleStore store, Hosts hosts, CapsuleService capsules, CapsuleMover mover,
                       Runnable relieveMemory, OperationTracker tracker, Duration interval, Duration retention,
                       Runnable sharedWork) {
        this.controlPlane = controlPlane;
        this.store = store;
        this.hosts = hosts;
        this.capsules = capsules;
        this.mover = mover;
        this.relieveMemory = relieveMemory;
        this.tracker = tracker;
        this.interval = interval;
        this.retention = retention;
        this.sharedWork = sharedWork;
        this.thread = Thread.ofVirtual().name("housekeeper").unstarted(this::loop);
    }

    public void start() {
        thread.start();
    }

    private void loop() {
        while (!stopped) {
            try {
                boolean leading = controlPlane.beat();
                long now = Clock.millis();
                for (String hostId : hosts.reachable()) {
                    if (!leading && !hosts.isLocal(hostId)) continue;
                    pauseEach(store.listByStatus(hostId, EnumSet.of(CapsuleStatus.RUNNING)), "autopause-",
                            c -> c.timeoutSec() > 0, c -> capsules.pauseIfIdle(c, now));
                }
                relieveMemory.run();
                if (leading) {
                    drain();
                    purgeStopped();
                    sharedWork.run();
                }
            } catch (RuntimeException e) {
                log.atError().setCause(e).log("housekeeping failed");
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * A draining host is emptied of running capsules, so it can be taken down without losing one;
     * with {@code --move} its paused capsules go to other hosts, one at a time per host.
     */
    private void drain() {
        for (String hostId : hosts.draining()) {
            pauseEach(store.listByStatus(hostId, EnumSet.of(CapsuleStatus.RUNNING)), "drain-", c -> true, capsules::pauseForDrain);
        }
        for (String hostId : hosts.movingOut()) {
            if (busy.contains("move:" + hostId)) continue;
            store.listByStatus(hostId, EnumSet.of(CapsuleStatus.PAUSED)).stream()
                    .filter(c -> c.operation() == null && mover.due(c.id())).findFirst()
                    .ifPresent(c -> spawnOnce("move:" + hostId, "move-" + c.id(), () -> mover.moveForDrain(c)));
        }
    }

    /** Runs {@code pause} in the background for each capsule that {@code wanted} and no operation holds, once at a time. */
    private void pauseEach(List<CapsuleRecord> running, String task, Predicate<CapsuleRecord> wanted, Consumer<CapsuleRecord> pause) {
        for (CapsuleRecord c : running) {
            if (wanted.test(c) && c.operation() == null) spawnOnce(c.id(), task + c.id(), () -> pause.accept(c));
        }
    }

    /** Runs {@code work} in the background unless work under the same {@code key} still runs. */
    private void spawnOnce(String key, String task, Runnable work) {
        if (!busy.add(key)) return;
        boolean started = tracker.spawn(task, () -> {
            try {
                work.run();
            } finally {
                busy.remove(key);
            }
        });
        if (!started) busy.remove(key);
    }

    private void purgeStopped() {
        long now = Clock.millis();
        if (now - lastPurge < PURGE_EVERY.toMillis()) return;
        lastPurge = now;
        int n = store.deleteStoppedBefore(now - retention.toMillis());
        if (n > 0) log.atInfo().addKeyValue("count", n).log("forgot stopped capsules past their retention");
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
