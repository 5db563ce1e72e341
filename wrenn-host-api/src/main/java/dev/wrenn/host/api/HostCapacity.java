package dev.wrenn.host.api;

/**
 * What a host's capsules really use and what it has left, measured now rather than summed from
 * what capsules asked for: an idle capsule touches a small part of its memory and almost no CPU,
 * so the control plane admits by these figures.
 *
 * @param cpus          the host's CPUs
 * @param memoryTotalMb the host's memory
 * @param memoryFreeMb  memory new VMs can take before the kernel must reclaim pages that VMs or
 *                      processes use (which would page guest memory out and in, or wake the OOM killer)
 * @param vmMemoryMb    what one running VM holds on this host on average (resident), the cost to plan for the next one
 * @param vms           VMs running: capsules and warm clones
 * @param warmClones    of those, clones waiting in the warm pool
 * @param diskFreeMb    free space of the file system holding capsules: their RAM files and disk layers grow into it
 */
public record HostCapacity(int cpus, long memoryTotalMb, long memoryFreeMb, long vmMemoryMb, int vms, int warmClones,
                           long diskFreeMb) {
}
