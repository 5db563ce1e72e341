package dev.wrenn.host.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * cgroup v1: a hierarchy per controller. Each VM gets a group named after it below the parent in
 * the cpu, memory and pids hierarchies.
 */
final class CgroupV1 implements VmCgroups {
    private static final long PERIOD_US = 100_000;
    private final Path cpu;
    private final Path memory;
    private final Path pids;

    CgroupV1(Path cpu, Path memory, Path pids) {
        this.cpu = cpu;
        this.memory = memory;
        this.pids = pids;
    }

    /** Empty when the machine lacks one of the hierarchies; an error when they are there but refuse the groups. */
    static Optional<VmCgroups> detect(String parent) throws IOException {
        Map<String, Path> own = CgroupFiles.ownGroups();
        if (!own.keySet().containsAll(List.of("cpu", "memory", "pids"))) return Optional.empty();
        CgroupV1 v1 = new CgroupV1(own.get("cpu").resolve(parent), own.get("memory").resolve(parent),
                own.get("pids").resolve(parent));
        for (Path p : v1.hierarchies()) Files.createDirectories(p);
        return Optional.of(v1);
    }

    private List<Path> hierarchies() {
        return List.of(cpu, memory, pids);
    }

    @Override
    public void place(String vm, long pid, VmLimits limits) throws IOException {
        for (Path h : hierarchies()) Files.createDirectories(h.resolve(vm));
        weigh(vm, limits.weight());
        CgroupFiles.write(cpu.resolve(vm).resolve("cpu.cfs_period_us"), Long.toString(PERIOD_US));
        CgroupFiles.write(cpu.resolve(vm).resolve("cpu.cfs_quota_us"), Long.toString(PERIOD_US * limits.vcpus()));
        CgroupFiles.write(memory.resolve(vm).resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
        CgroupFiles.write(pids.resolve(vm).resolve("pids.max"), Integer.toString(limits.pids()));
        for (Path h : hierarchies()) CgroupFiles.write(h.resolve(vm).resolve("cgroup.procs"), Long.toString(pid));
    }

    @Override
    public List<String> groups() {
        return CgroupFiles.children(cpu);
    }

    @Override
    public Optional<Long> cpuDemandNanos(String vm) {
        return CgroupFiles.demandNanos(cpu.resolve(vm).resolve("tasks"));
    }

    @Override
    public Optional<Integer> vcpus(String vm) {
        return CgroupFiles.read(cpu.resolve(vm).resolve("cpu.cfs_quota_us"))
                .map(q -> (int) Math.max(1, Long.parseLong(q) / PERIOD_US));
    }

    /** v1 shares: 1024 is the weight of one task at nice 0, as 100 is on v2's scale. */
    @Override
    public void weigh(String vm, int weight) throws IOException {
        CgroupFiles.write(cpu.resolve(vm).resolve("cpu.shares"), Long.toString(Math.max(2, weight * 1024L / 100)));
    }

    @Override
    public boolean isEmpty(String vm) {
        return CgroupFiles.hasNoProcess(cpu.resolve(vm));
    }

    @Override
    public boolean removeIfEmpty(String vm) {
        boolean gone = true;
        for (Path h : hierarchies()) {
            Path g = h.resolve(vm);
            if (Files.isDirectory(g)) gone &= CgroupFiles.hasNoProcess(g) && CgroupFiles.remove(g);
        }
        return gone;
    }

    @Override
    public void release() {
        groups().forEach(this::removeIfEmpty);
        for (Path h : hierarchies()) CgroupFiles.remove(h);   // fails, as it should, while a VM's group is left
    }

    @Override
    public String describe() {
        return "v1 " + cpu + ", " + memory + ", " + pids;
    }
}
