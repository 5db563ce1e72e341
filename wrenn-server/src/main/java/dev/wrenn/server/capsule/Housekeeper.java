package dev.wrenn.server.capsule;

import dev.wrenn.server.Clock;
import dev.wrenn.server.OperationTracker;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.store.CapsuleStore;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's own periodic work: pausing idle capsules (api.md §4, within 2 s of their timeout),
 * making room when running capsules have grown into the memory reserve, and forgetting stopped
 * capsules after the retention period, and telling host agents that went silent.
 */
public final class Housekeeper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Housekeeper.class);
    private static final Duration PURGE_EVERY = Duration.ofMinutes(10);

    private final CapsuleStore store;
    private final Hosts hosts;
    private final CapsuleService capsules;
    private final Runnable relieveMemory;
    private final OperationTracker tracker;
    private final Duration interval;
    private final Duration retention;
    private final Runnable watchHosts;
    private final Set<String> pausing = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean stopped;
    private long lastPurge;

    public Housekeeper(CapsuleStore store, Hosts hosts, CapsuleService capsules, Runnable relieveMemory,
                       OperationTracker tracker, Duration interval, Duration retention, Runnable watchHosts) {
        this.store = store;
        this.hosts = hosts;
        this.capsules = capsules;
        this.relieveMemory = relieveMemory;
        this.tracker = tracker;
        this.interval = interval;
        this.retention = retention;
        this.watchHosts = watchHosts;
        this.thread = Thread.ofVirtual().name("housekeeper").unstarted(this::loop);
    }

    public void start() {
        thread.start();
    }

    private void loop() {
        while (!stopped) {
            try {
                pauseIdle();
                relieveMemory.run();
                purgeStopped();
                watchHosts.run();
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

    private void pauseIdle() {
        long now = Clock.millis();
        for (String hostId : hosts.reachable()) pauseIdle(hostId, now);
    }

    private void pauseIdle(String hostId, long now) {
        for (CapsuleRecord c : store.listByStatus(hostId, EnumSet.of(CapsuleStatus.RUNNING))) {
            if (c.timeoutSec() <= 0 || c.operation() != null || !pausing.add(c.id())) continue;
            boolean started = tracker.spawn("autopause-" + c.id(), () -> {
                try {
                    capsules.pauseIfIdle(c, now);
                } finally {
                    pausing.remove(c.id());
                }
            });
            if (!started) pausing.remove(c.id());
        }
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
