package dev.wrenn.host;

import dev.wrenn.host.vmm.ProcStatus;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.vmm.Vm;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Measures the host's {@link HostCapacity}: memory is free when no process or VM needs it resident.
 * The kernel's own "available" figure counts a guest's memory as reclaimable page cache (it is a
 * mapped file), and once the host runs short it drops guest pages, so they stop showing as mapped
 * just when they matter: filled on that figure, this host thrashed at 446 idle VMs with 7 GiB
 * "available". So a VM is counted at its anonymous memory plus the most of its guest memory it
 * has had resident, and everything else by what the kernel cannot reclaim. Each VM's
 * {@code /proc} status is read again at most every {@link #SAMPLE_NANOS}: admission asks on every
 * create, and hundreds of VMs move slowly.
 */
final class CapacityMeter {
    /** What a VM is assumed to hold before any has been measured: a small guest's touched memory and the VMM's own. */
    static final long FIRST_VM_MB = 128;
    private static final long SAMPLE_NANOS = 2_000_000_000L;

    /** One VM's last reading and the most guest memory it has had resident. */
    private record Sample(long at, long anonKib, long guestHighKib) {}

    private final Supplier<HostMemory> memory;
    private final LongSupplier diskFreeMb;
    private final Map<Long, Sample> samples = new HashMap<>();
    private long sharedCodeKib = -1;

    CapacityMeter(Supplier<HostMemory> memory, LongSupplier diskFreeMb) {
        this.memory = memory;
        this.diskFreeMb = diskFreeMb;
    }

    synchronized HostCapacity measure(List<Vm> capsuleVms, List<Vm> warmVms) {
        HostMemory m = memory.get();
        long now = System.nanoTime();
        long vmAnonKib = 0;
        long vmCostKib = 0;
        Set<Long> live = new HashSet<>();
        for (List<Vm> list : List.of(capsuleVms, warmVms)) {
            for (Vm vm : list) {
                Sample s = sample(vm.pid(), now);
                live.add(vm.pid());
                vmAnonKib += s.anonKib();
                vmCostKib += s.anonKib() + s.guestHighKib();
            }
        }
        samples.keySet().retainAll(live);
        int vms = live.size();
        long otherKib = Math.max(0, m.anonKib() - vmAnonKib) + m.unreclaimableKib() + (vms > 0 ? sharedCodeKib : 0);
        long freeKib = Math.max(0, m.totalKib() - otherKib - vmCostKib);
        long vmMb = vms > 0 ? Math.max(1, vmCostKib / vms / 1024) : FIRST_VM_MB;
        return new HostCapacity(Runtime.getRuntime().availableProcessors(), m.totalKib() / 1024, freeKib / 1024, vmMb,
                vms, warmVms.size(), diskFreeMb.getAsLong());
    }

    private Sample sample(long pid, long now) {
        Sample last = samples.get(pid);
        if (last != null && now - last.at() < SAMPLE_NANOS) return last;
        if (sharedCodeKib < 0) sharedCodeKib = ProcStatus.sharedCodeKib(pid);
        ProcStatus p = ProcStatus.read(pid);
        long guest = Math.max(0, p.fileKib() - sharedCodeKib);
        Sample s = new Sample(now, p.anonKib(), Math.max(guest, last == null ? 0 : last.guestHighKib()));
        samples.put(pid, s);
        return s;
    }
}
