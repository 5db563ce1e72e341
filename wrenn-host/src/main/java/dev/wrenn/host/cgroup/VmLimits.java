package dev.wrenn.host.cgroup;

import dev.wrenn.host.vmm.Accelerator;

/**
 * What one VM's processes may take of the host: CPU time up to its vCPUs (the ceiling) and a share
 * of contended CPU in proportion to them (the weight), its memory plus a bounded overhead for the
 * VMM itself, and a number of tasks.
 *
 * @param weight      CPU weight on the cgroup v2 scale (1..10000, 100 = one vCPU)
 * @param memoryBytes the VM's memory plus the VMM's overhead
 */
public record VmLimits(int vcpus, int weight, long memoryBytes, int pids) {
    /** Weight per vCPU; a busy capsule's is cut to a tenth of it ({@link CpuGovernor}). */
    static final int WEIGHT_PER_VCPU = 100;
    /**
     * QEMU's own memory beyond the guest's: its heap, device state and I/O buffers; under TCG also the
     * translated code, whose buffer is capped at {@link Accelerator#TCG_CODE_BUFFER_MB}.
     */
    static final int VMM_OVERHEAD_MB = 160;
    /** QEMU's threads: one per vCPU, its main loop, RCU, and a pool of up to 64 I/O workers. */
    static final int PIDS = 128;

    public static VmLimits of(int vcpus, int memoryMb, Accelerator accel) {
        int overheadMb = VMM_OVERHEAD_MB + (accel == Accelerator.TCG ? Accelerator.TCG_CODE_BUFFER_MB : 0);
        return new VmLimits(vcpus, WEIGHT_PER_VCPU * vcpus, (long) (memoryMb + overheadMb) << 20, PIDS + vcpus);
    }
}
