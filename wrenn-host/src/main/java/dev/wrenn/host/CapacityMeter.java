package dev.wrenn.host;

import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.vmm.Vm;
import java.util.List;
import java.util.function.Supplier;

/**
 * Measures the host's {@link HostCapacity}. The average VM's resident memory is read again at most
 * every {@link #VM_SAMPLE_NANOS}: it takes one {@code /proc} file per VM and moves slowly, while
 * admission asks on every create.
 */
final class CapacityMeter {
    /** What a VM is assumed to hold before any runs: a small guest's touched memory and the VMM's own. */
    static final long FIRST_VM_MB = 128;
    private static final long VM_SAMPLE_NANOS = 2_000_000_000L;

    private final Supplier<HostMemory> memory;
    private long vmMemoryMb = FIRST_VM_MB;
    private long sampledAt = Long.MIN_VALUE;

    CapacityMeter(Supplier<HostMemory> memory) {
        this.memory = memory;
    }

    HostCapacity measure(List<Vm> capsuleVms, List<Vm> warmVms) {
        HostMemory m = memory.get();
        int vms = capsuleVms.size() + warmVms.size();
        return new HostCapacity(Runtime.getRuntime().availableProcessors(), m.totalKib() / 1024, m.freeKib() / 1024,
                vmMemoryMb(capsuleVms, warmVms), vms, warmVms.size());
    }

    private synchronized long vmMemoryMb(List<Vm> capsuleVms, List<Vm> warmVms) {
        long now = System.nanoTime();
        if (now - sampledAt < VM_SAMPLE_NANOS && sampledAt != Long.MIN_VALUE) return vmMemoryMb;
        long totalKib = 0;
        int n = 0;
        for (List<Vm> list : List.of(capsuleVms, warmVms)) {
            for (Vm vm : list) {
                long rss = vm.rssKib();
                if (rss > 0) {
                    totalKib += rss;
                    n++;
                }
            }
        }
        if (n > 0) vmMemoryMb = Math.max(1, totalKib / n / 1024);
        sampledAt = now;
        return vmMemoryMb;
    }
}
