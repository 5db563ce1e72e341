package dev.wrenn.host;

import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.net.NetworkSlot;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.vmm.Vm;
import dev.wrenn.host.vmm.VmmDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clones of built-in templates restored ahead of time, so that a create only hands one over and
 * tells it its identity. Under TCG a just-restored guest runs its first requests slowly (QEMU
 * translates its code afresh in every new process); a pooled clone has already paid that.
 * Only built-in templates are pooled: a snapshot template's processes would run on before the
 * user gets the clone, while a built-in template holds nothing but the idle guest agent.
 *
 * <p>The pool sizes itself to demand: a template keeps as many clones waiting as the largest burst
 * of creates (within {@link #BURST_WINDOW}) of the last {@link #DEMAND_WINDOW} took, at least the
 * configured minimum and at most {@link #MAX_SIZE}, so after a burst the next one finds its clones
 * ready; once the window has passed without bursts it shrinks back. It never grows beyond its
 * minimum while the host's free memory is below {@link #MEMORY_RESERVE_PERCENT} of its total, and
 * gives back what it holds beyond the minimum at the next take or trim once it is: waiting clones
 * must not crowd out running capsules.
 */
final class WarmPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);

    /** Restores clones of a template, ready to use, and lets go of what a discarded one held. */
    interface Restorer {
        Clone restore(String template, Path dir) throws IOException;

        /** Tears down the network a clone's VM was plugged into, once the VM has ended. */
        void unplug(NetworkSlot slot);
    }

    static final Duration DEMAND_WINDOW = Duration.ofMinutes(10);
    static final Duration BURST_WINDOW = Duration.ofSeconds(10);
    private static final Duration TRIM_INTERVAL = Duration.ofMinutes(1);
    /**
     * How long after a create its refill starts: a restore takes a core for half a second, and the
     * create's answer still has to reach its user (the control plane's record, the wire to it, the
     * HTTP answer). Measured on 2 cores, a refill at once added 7 to 15 ms to a create through a
     * remote agent (RemoteHostApiBenchmark).
     */
    static final Duration REFILL_AFTER_CREATE = Duration.ofMillis(50);
    static final int MAX_SIZE = 32;
    static final int MEMORY_RESERVE_PERCENT = 20;
    /** Clones restored at once per template: two cores here; more only queue for them. */
    private static final int FILLERS = 2;
    /** A restore takes well under a second; close() waits this long for those in progress. */
    private static final Duration RESTORES_AT_CLOSE = Duration.ofSeconds(10);

    private final Path poolDir;
    private final int minSize;
    private final Restorer restorer;
    private final Supplier<HostCapacity> capacity;
    private final Map<String, Deque<Clone>> ready = new HashMap<>();
    private final Map<String, Deque<Long>> takes = new HashMap<>();
    private final Map<String, Integer> restoring = new HashMap<>();
    private boolean closed;

    /** @param minSize clones kept of each template however quiet (0: no pool at all) */
    WarmPool(Path poolDir, int minSize, Restorer restorer, VmmDriver vmm, Supplier<HostCapacity> capacity) throws IOException {
        this.poolDir = poolDir;
        this.minSize = minSize;
        this.restorer = restorer;
        this.capacity = capacity;
        // clones of an earlier run were never handed out: nothing of them is worth keeping
        if (Files.isDirectory(poolDir)) {
            try (Stream<Path> old = Files.list(poolDir)) {
                for (Path d : old.toList()) {
                    vmm.killAllIn(d);
                    FileOps.deleteTree(d);
                }
            }
        }
        Files.createDirectories(poolDir);
        Thread.ofVirtual().name("warm-pool-trim").start(this::trimLoop);
    }

    /** Lets go of clones a past burst asked for once it is out of the window, even if no create comes. */
    private void trimLoop() {
        while (true) {
            try {
                Thread.sleep(TRIM_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (closed) return;
                List.copyOf(ready.keySet()).forEach(this::refill);
            }
        }
    }

    /**
     * A ready clone of {@code template}, if one is waiting. The pool does not refill yet: the caller
     * calls {@link #refillAfterCreate} once its create is done, so the restore of the next clone does
     * not compete for the CPU with the create a user is waiting for.
     */
    synchronized Optional<Clone> take(String template) {
        if (minSize > 0) takes.computeIfAbsent(template, k -> new ArrayDeque<>()).add(System.nanoTime());
        Deque<Clone> q = ready.get(template);
        Clone c = null;
        while (q != null && !q.isEmpty() && c == null) {
            Clone next = q.poll();
            if (!next.vm().exited().isDone()) c = next;
            else discard(next);
        }
        return Optional.ofNullable(c);
    }

    /** The VMs of every waiting clone. */
    synchronized List<Vm> vms() {
        return ready.values().stream().flatMap(q -> q.stream().map(Clone::vm)).toList();
    }

    /** How many clones of {@code template} are ready now. */
    synchronized int ready(String template) {
        return ready.getOrDefault(template, new ArrayDeque<>()).size();
    }

    /** How many clones of {@code template} the pool aims to keep waiting now. */
    synchronized int target(String template) {
        return target(takes.getOrDefault(template, new ArrayDeque<>()), System.nanoTime(), minSize);
    }

    /**
     * The rule: the most creates seen within any {@link #BURST_WINDOW} during the last
     * {@link #DEMAND_WINDOW} before {@code now} (older takes are dropped from {@code takes}, oldest
     * first), at least {@code minSize}, at most {@link #MAX_SIZE}; none at all when the pool is off
     * ({@code minSize} 0). A burst is what clones must wait for: a steady trickle of creates is served
     * by refills, each of which takes a fraction of a second.
     */
    static int target(Deque<Long> takes, long now, int minSize) {
        if (minSize == 0) return 0;
        long since = now - DEMAND_WINDOW.toNanos();
        while (!takes.isEmpty() && takes.peekFirst() - since < 0) takes.pollFirst();
        int burst = 0;
        Deque<Long> window = new ArrayDeque<>();
        for (long t : takes) {
            window.add(t);
            while (t - window.peekFirst() >= BURST_WINDOW.toNanos()) window.pollFirst();
            burst = Math.max(burst, window.size());
        }
        return Math.min(MAX_SIZE, Math.max(minSize, burst));
    }

    /**
     * Starts restoring clones until {@code template} has its {@link #target} waiting, and lets go of
     * those beyond it once demand has passed, or beyond the minimum once memory is short.
     */
    synchronized void refill(String template) {
        int target = target(template);
        if (target > minSize && !memoryToSpare()) target = minSize;   // memory is read only when the pool would exceed its minimum
        Deque<Clone> q = ready.getOrDefault(template, new ArrayDeque<>());
        while (q.size() > target) discard(q.pollLast());
        int coming = restoring.getOrDefault(template, 0);
        while (!closed && coming < FILLERS && q.size() + coming < target) {
            coming++;
            restoring.merge(template, 1, Integer::sum);
            Thread.ofVirtual().name("warm-pool-" + template).start(() -> fillOne(template));
        }
    }

    /** Refills {@code template} {@link #REFILL_AFTER_CREATE} from now, once the create just done has been answered. */
    void refillAfterCreate(String template) {
        Thread.ofVirtual().name("warm-pool-refill-" + template).start(() -> {
            try {
                Thread.sleep(REFILL_AFTER_CREATE);
            } catch (InterruptedException e) {
                return;
            }
            refill(template);
        });
    }

    /** Drops every waiting clone of a template that changed or went away. */
    synchronized void drain(String template) {
        Deque<Clone> q = ready.remove(template);
        if (q != null) q.forEach(this::discard);
    }

    /**
     * Ends every waiting clone, and waits (bounded) for the restores in progress to end theirs: a
     * clone's VM runs in a session of its own and would outlive a process that exits now.
     */
    @Override
    public synchronized void close() {
        closed = true;
        ready.values().forEach(q -> q.forEach(this::discard));
        ready.clear();
        if (!Monitors.awaitUntil(this, restoring::isEmpty, RESTORES_AT_CLOSE)) {
            log.atWarn().log("warm clones still restoring at close: the next start removes them");
        }
    }

    /** Restores one clone (its place reserved by {@link #refill}), then refills again: the next one, if still wanted. */
    private void fillOne(String template) {
        Clone clone = restoreOne(template);
        synchronized (this) {
            restoring.merge(template, -1, WarmPool::sumOrNull);
            notifyAll();   // close() waits for the last restore; it wakes once this block has discarded the clone
            if (clone == null) return;   // logged; the next create or trim tries again
            if (closed) {
                discard(clone);
                return;
            }
            ready.computeIfAbsent(template, k -> new ArrayDeque<>()).add(clone);
            refill(template);
        }
    }

    /** A new clone in a directory of the pool, or null when the restore failed (logged). */
    private Clone restoreOne(String template) {
        Path dir = poolDir.resolve(CapsuleIds.random());
        try {
            Files.createDirectory(dir);
            Clone clone = restorer.restore(template, dir);
            log.atDebug().addKeyValue("template", template).log("warm clone ready");
            return clone;
        } catch (IOException | RuntimeException e) {
            FileOps.deleteTree(dir);
            log.atWarn().addKeyValue("template", template).log("warm clone failed: {}", e.getMessage());
            return null;
        }
    }

    private static Integer sumOrNull(int a, int b) {
        return a + b == 0 ? null : a + b;
    }

    /** Whether one more waiting clone leaves the host its memory reserve. */
    private boolean memoryToSpare() {
        HostCapacity h = capacity.get();
        return (h.memoryFreeMb() - h.vmMemoryMb()) * 100 > h.memoryTotalMb() * MEMORY_RESERVE_PERCENT;
    }

    private void discard(Clone c) {
        c.guest().close();
        c.vm().kill();
        restorer.unplug(c.slot());
        FileOps.deleteTree(c.dir());
    }

}
