package dev.wrenn.host.cgroup;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a quiet capsule responsive beside busy ones. Weights in proportion to vCPUs alone would
 * give a 1-vCPU capsule a fifth of contended CPU beside two 2-vCPU capsules that spin, and its
 * exec or resume would take five times as long. So a VM that has wanted more than
 * {@link #BUSY_PER_VCPU} of a core per vCPU on average over the last several seconds (a build, a
 * loop: batch work) gets a tenth of its weight until it calms down below {@link #CALM_PER_VCPU};
 * short bursts (a command, a resume) keep the full weight and win contended CPU. What a VM wants is
 * its threads' run time plus their wait for a CPU: CPU time alone would make busy VMs look calm
 * on a host crowded enough that each gets little. A busy VM still gets all CPU nobody else wants,
 * up to its ceiling. The governor also removes the groups of VMs that ended.
 */
public final class CpuGovernor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CpuGovernor.class);
    static final Duration TICK = Duration.ofSeconds(1);
    /** Weight of the newest second in the average: about 5 s of memory. */
    private static final double NEW_SHARE = 0.2;
    static final double BUSY_PER_VCPU = 0.5;
    static final double CALM_PER_VCPU = 0.2;
    static final int BUSY_WEIGHT_DIVISOR = 10;

    private final VmCgroups cgroups;
    private final Map<String, Long> lastNanos = new HashMap<>();
    private final Map<String, Double> average = new HashMap<>();
    private final Set<String> busy = new HashSet<>();
    private final Set<String> emptySeen = new HashSet<>();
    private final Set<String> weighed = new HashSet<>();
    private Thread thread;
    private volatile boolean closed;

    public CpuGovernor(VmCgroups cgroups) {
        this.cgroups = cgroups;
    }

    /** Looks at the VMs every {@link #TICK} from now on, on a thread of its own. */
    public CpuGovernor start() {
        thread = Thread.ofPlatform().daemon().name("cpu-governor").start(this::loop);
        return this;
    }

    private void loop() {
        long last = System.nanoTime();
        while (!closed) {
            try {
                Thread.sleep(TICK);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            try {
                tick(now - last);
            } catch (RuntimeException e) {
                log.atWarn().log("cpu governor: {}", e.toString());
            }
            last = now;
        }
    }

    /** One look at every VM's CPU use over the last {@code elapsedNanos}. */
    synchronized void tick(long elapsedNanos) {
        Set<String> present = new HashSet<>(cgroups.groups());
        for (String vm : present) {
            // a group is empty for a moment between its creation and its process's move into it
            if (cgroups.isEmpty(vm)) {
                if (!emptySeen.add(vm) && cgroups.removeIfEmpty(vm)) forget(vm);
                continue;
            }
            if (emptySeen.remove(vm)) forget(vm);   // a new VM in the group of one that ended (a resume): no history
            var wanted = cgroups.cpuDemandNanos(vm);
            var vcpus = cgroups.vcpus(vm);
            if (wanted.isEmpty() || vcpus.isEmpty()) continue;
            Long before = lastNanos.put(vm, wanted.get());
            if (before == null) continue;
            double cores = Math.max(0, wanted.get() - before) / (double) elapsedNanos;
            double avg = average.getOrDefault(vm, 0.0) * (1 - NEW_SHARE) + cores * NEW_SHARE;   // a new VM starts calm
            average.put(vm, avg);
            reweigh(vm, vcpus.get(), avg);
        }
        for (String vm : Set.copyOf(lastNanos.keySet())) if (!present.contains(vm)) forget(vm);
    }

    private void reweigh(String vm, int vcpus, double avg) {
        boolean nowBusy = busy.contains(vm) ? avg > CALM_PER_VCPU * vcpus : avg > BUSY_PER_VCPU * vcpus;
        // the first look writes the weight whatever it is: a restarted host agent may find a group weighted down
        if (nowBusy == busy.contains(vm) && !weighed.add(vm)) return;
        int weight = VmLimits.WEIGHT_PER_VCPU * vcpus / (nowBusy ? BUSY_WEIGHT_DIVISOR : 1);
        try {
            cgroups.weigh(vm, weight);
            if (nowBusy) busy.add(vm);
            else busy.remove(vm);
            log.atDebug().addKeyValue("vm", vm).addKeyValue("cores", String.format("%.2f", avg))
                    .log(nowBusy ? "busy: CPU weight lowered" : "calm again: CPU weight restored");
        } catch (IOException gone) {
            // the VM ended while we looked
        }
    }

    private void forget(String vm) {
        lastNanos.remove(vm);
        average.remove(vm);
        busy.remove(vm);
        emptySeen.remove(vm);
        weighed.remove(vm);
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) thread.interrupt();
    }
}
