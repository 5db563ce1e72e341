package dev.wrenn.host.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * cgroup v2: one hierarchy. A group with processes cannot hand controllers to its children, so when
 * this process's own group is not the root, the processes in it (the control plane) move into a
 * leaf of their own, {@code control-plane}, beside the parent of the VMs; the two then share
 * contended CPU equally, whatever the VMs do.
 */
final class CgroupV2 implements VmCgroups {
    static final String CONTROL_PLANE = "control-plane";
    private static final long PERIOD_US = 100_000;
    private static final String CONTROLLERS = "+cpu +memory +pids";
    private final Path parent;

    CgroupV2(Path parent) {
        this.parent = parent;
    }

    /** Empty when the machine has no v2 hierarchy offering the controllers; an error when it refuses the groups. */
    static Optional<VmCgroups> detect(String parent) throws IOException {
        Path own = CgroupFiles.ownGroups().get("");
        if (own == null) return Optional.empty();
        String offered = CgroupFiles.read(own.resolve("cgroup.controllers")).orElse("");
        if (!List.of(offered.split(" ")).containsAll(List.of("cpu", "memory", "pids"))) return Optional.empty();
        return Optional.of(setUp(own, parent));
    }

    /** Makes {@code own}/{@code parent} a group whose children get the cpu, memory and pids controllers. */
    static CgroupV2 setUp(Path own, String parent) throws IOException {
        boolean root = !Files.exists(own.resolve("cgroup.type"));   // every group but the root has one; the root may hold processes
        if (!root && !CgroupFiles.hasNoProcess(own)) {
            Path leaf = Files.createDirectories(own.resolve(CONTROL_PLANE));
            for (String pid : CgroupFiles.read(own.resolve("cgroup.procs")).orElse("").split("\n")) {
                if (!pid.isBlank()) CgroupFiles.write(leaf.resolve("cgroup.procs"), pid.trim());
            }
        }
        CgroupFiles.write(own.resolve("cgroup.subtree_control"), CONTROLLERS);
        Path p = Files.createDirectories(own.resolve(parent));
        CgroupFiles.write(p.resolve("cgroup.subtree_control"), CONTROLLERS);
        return new CgroupV2(p);
    }

    @Override
    public void place(String vm, long pid, VmLimits limits) throws IOException {
        Path g = Files.createDirectories(parent.resolve(vm));
        weigh(vm, limits.weight());
        CgroupFiles.write(g.resolve("cpu.max"), PERIOD_US * limits.vcpus() + " " + PERIOD_US);
        CgroupFiles.write(g.resolve("memory.max"), Long.toString(limits.memoryBytes()));
        CgroupFiles.write(g.resolve("pids.max"), Integer.toString(limits.pids()));
        CgroupFiles.write(g.resolve("cgroup.procs"), Long.toString(pid));
    }

    @Override
    public List<String> groups() {
        return CgroupFiles.children(parent);
    }

    @Override
    public Optional<Long> cpuDemandNanos(String vm) {
        return CgroupFiles.demandNanos(parent.resolve(vm).resolve("cgroup.threads"));
    }

    @Override
    public Optional<Integer> vcpus(String vm) {
        return CgroupFiles.read(parent.resolve(vm).resolve("cpu.max"))
                .map(m -> m.split(" ")[0])
                .map(q -> q.equals("max") ? 1 : (int) Math.max(1, Long.parseLong(q) / PERIOD_US));
    }

    @Override
    public void weigh(String vm, int weight) throws IOException {
        CgroupFiles.write(parent.resolve(vm).resolve("cpu.weight"), Integer.toString(Math.clamp(weight, 1, 10_000)));
    }

    @Override
    public boolean isEmpty(String vm) {
        return CgroupFiles.hasNoProcess(parent.resolve(vm));
    }

    @Override
    public boolean removeIfEmpty(String vm) {
        Path g = parent.resolve(vm);
        return !Files.isDirectory(g) || (CgroupFiles.hasNoProcess(g) && CgroupFiles.remove(g));
    }

    @Override
    public void release() {
        groups().forEach(this::removeIfEmpty);
        CgroupFiles.remove(parent);   // fails, as it should, while a VM's group is left
    }

    @Override
    public String describe() {
        return "v2 " + parent;
    }
}
