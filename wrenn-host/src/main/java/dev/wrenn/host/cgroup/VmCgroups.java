package dev.wrenn.host.cgroup;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a host agent puts each VM's processes, so that no capsule can take the CPU, memory or
 * process table of the others or of the control plane (docs/runtime.md "Isolation"): one group
 * per VM below a parent group of this host agent's own, on cgroup v1 (a hierarchy per controller)
 * or v2 (one unified hierarchy), whichever the machine has. Groups outlive the host agent with
 * their VMs; the next one on the same data dir finds them under the same parent.
 */
public interface VmCgroups {
    /** Creates the VM's group with {@code limits} and moves process {@code pid}, every thread of it, into it. */
    void place(String vm, long pid, VmLimits limits) throws IOException;

    /** The VMs that have a group. */
    List<String> groups();

    /**
     * The CPU the VM's threads have wanted so far, in ns: the time they ran plus the time they were
     * ready to run and waited for a CPU. Unlike CPU time it shows a busy VM as busy however
     * contended the host is. Empty when its group is gone.
     */
    Optional<Long> cpuDemandNanos(String vm);

    /** The VM's vCPUs, as its CPU ceiling says; empty when its group is gone. */
    Optional<Integer> vcpus(String vm);

    /** Sets the VM's CPU weight (cgroup v2 scale, 1..10000). */
    void weigh(String vm, int weight) throws IOException;

    /** Whether no process is in the VM's group (also when the group is gone). */
    boolean isEmpty(String vm);

    /** Removes the VM's group once no process is left in it; true when it is gone. */
    boolean removeIfEmpty(String vm);

    /**
     * At the host agent's stop: removes the groups of VMs that ended, and the parent when no VM is
     * left in it (the VMs that run on keep theirs for the next host agent).
     */
    void release();

    /** Which hierarchy and parent, for logs. */
    String describe();

    /** No isolation: a machine without usable cgroups (logged at start). */
    VmCgroups NONE = new VmCgroups() {
        @Override
        public void place(String vm, long pid, VmLimits limits) {}

        @Override
        public List<String> groups() {
            return List.of();
        }

        @Override
        public Optional<Long> cpuDemandNanos(String vm) {
            return Optional.empty();
        }

        @Override
        public Optional<Integer> vcpus(String vm) {
            return Optional.empty();
        }

        @Override
        public void weigh(String vm, int weight) {}

        @Override
        public boolean isEmpty(String vm) {
            return true;
        }

        @Override
        public boolean removeIfEmpty(String vm) {
            return true;
        }

        @Override
        public void release() {}

        @Override
        public String describe() {
            return "none";
        }
    };

    /**
     * The machine's cgroups with VM groups below {@code parent} (a name of this host agent's own),
     * or {@link #NONE}, with a warning, when none can be used.
     */
    static VmCgroups detect(String parent) {
        Logger log = LoggerFactory.getLogger(VmCgroups.class);
        try {
            Optional<VmCgroups> found = CgroupV2.detect(parent);
            if (found.isEmpty()) found = CgroupV1.detect(parent);
            if (found.isPresent()) {
                log.atInfo().addKeyValue("cgroups", found.get().describe()).log("each VM runs in a cgroup of its own");
                return found.get();
            }
            log.atWarn().log("no cgroup hierarchy with the cpu, memory and pids controllers: VMs run without limits");
        } catch (IOException | RuntimeException e) {
            log.atWarn().log("cgroups cannot be used ({}): VMs run without limits", e.toString());
        }
        return NONE;
    }
}
