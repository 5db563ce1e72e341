package dev.wrenn.host;

import dev.wrenn.host.cgroup.CpuGovernor;
import dev.wrenn.host.cgroup.VmCgroups;
import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.api.HostInfo;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.api.PortStream;
import dev.wrenn.host.api.FileSet;
import dev.wrenn.host.api.StoredFile;
import dev.wrenn.host.api.TemplateInfo;
import dev.wrenn.host.guest.GuestChannel;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.image.GuestImages;
import dev.wrenn.host.net.NetworkSlot;
import dev.wrenn.host.net.NetworkSlots;
import dev.wrenn.host.net.OpenPorts;
import dev.wrenn.host.storage.DiskLayers;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.TemplateStore;
import dev.wrenn.host.vmm.Accelerator;
import dev.wrenn.host.vmm.DeviceLayout;
import dev.wrenn.host.vmm.QemuDriver;
import dev.wrenn.host.vmm.Vm;
import dev.wrenn.host.vmm.VmmDriver;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host agent of one machine, in-process: runs its capsules as QEMU microVMs (creates them from
 * templates, pauses them to disk, resumes them exactly, snapshots them into templates, notices VMs
 * that die) and finds its VMs again after a restart. VMs outlive the host agent process.
 */
public final class HostAgent implements Host {
    private static final Logger log = LoggerFactory.getLogger(HostAgent.class);

    private final HostConfig config;
    private final CapsuleRegistry capsules = new CapsuleRegistry();
    private final HostTemplates templates;
    private final Blobs blobs;
    private final FileSets fileSets;
    private final CapsuleRuntime runtime;
    private final HostRecovery recovery;
    private final TemplateBuilder builder;
    private final WarmPool pool;
    private final CapacityMeter meter;
    private final LogTrimmer logTrimmer;
    private final NetworkSlots network;
    private final CpuGovernor governor;
    private final VmCgroups cgroups;
    private final OpenPorts openPorts = new OpenPorts();

    private HostAgent(HostConfig config, DeviceLayout layout) throws IOException {
        this.config = config;
        this.cgroups = VmCgroups.detect(cgroupParent(config.dataDir()));
        this.governor = new CpuGovernor(cgroups).start();
        VmmDriver vmm = new QemuDriver(config.qemuBinary(), config.accelerator(), Duration.ofSeconds(10), layout, cgroups);
        this.network = NetworkSlots.start(config.network());
        DiskLayers disks = new DiskLayers(config.qemuImg());
        TemplateStore store = new TemplateStore(config.dataDir(), vmm);
        this.builder = new TemplateBuilder(store, vmm, disks, config);
        Path capsulesDir = Files.createDirectories(config.dataDir().resolve("capsules"));
        CloneRestorer restorer = new CloneRestorer(config, vmm, disks, store, network);
        this.meter = new CapacityMeter(HostMemory::read, () -> FileOps.usableMb(config.dataDir()));
        this.pool = new WarmPool(config.dataDir().resolve("pool"), config.warmPool(), restorer, vmm, this::capacity);
        this.templates = new HostTemplates(store, builder, new GuestImages(config.imageCache(), config.repoDir()), pool,
                config.templateCache() == null ? null : new TemplateCache(config.templateCache(), store));

        this.runtime = new CapsuleRuntime(restorer, disks, templates, builder, pool, capsules, capsulesDir);
        runtime.onVmExit(state -> openPorts.closeAll(state.id()));
        this.blobs = new Blobs(config.dataDir());
        this.fileSets = new FileSets(store, capsules, capsulesDir, blobs, vmm);
        this.recovery = new HostRecovery(capsules, runtime, restorer, vmm, capsulesDir);
        this.logTrimmer = new LogTrimmer(() -> capsules.all().stream().filter(c -> c.vm() != null).map(c -> c.dir));
    }

    /** The cgroup of this data dir's VMs: one per installation, found again by the next host agent on it. */
    private static String cgroupParent(Path dataDir) {
        return "wrenn-" + Integer.toHexString(dataDir.toString().hashCode());   // String.hashCode is fixed by the JLS
    }

    /** Opens a data dir and reattaches to every VM that is still running there. */
    public static HostAgent start(HostConfig config) throws IOException {
        return start(config, QemuDriver.LAYOUT_3);
    }

    /** {@link #start(HostConfig)} with new templates of {@code layout}: tests start an older host with it. */
    static HostAgent start(HostConfig config, DeviceLayout layout) throws IOException {
        HostAgent agent = new HostAgent(config, layout);
        log.atInfo().addKeyValue("accelerator", config.accelerator().label()).addKeyValue("data_dir", config.dataDir())
                .addKeyValue("network", config.network().enabled() ? config.network().range().text() : "off")
                .log("host agent starting");
        agent.recovery.run();
        if (agent.network != null) agent.network.removeStale();
        return agent;
    }

    public Accelerator accelerator() {
        return config.accelerator();
    }

    @Override
    public HostInfo info() {
        return new HostInfo("qemu", config.accelerator().label());
    }

    @Override
    public HostCapacity capacity() {
        List<Vm> running = capsules.all().stream().map(Capsule::vm).filter(Objects::nonNull).toList();
        return meter.measure(running, pool.vms());
    }

    // ---- templates ----------------------------------------------------------------------------

    @Override
    public Set<String> builtInTemplates() {
        return Arrays.stream(BuiltInTemplate.values()).map(BuiltInTemplate::templateName)
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    @Override
    public void prepareBuiltIn(String name) {
        BuiltInTemplate t = BuiltInTemplate.named(name)
                .orElseThrow(() -> HostErrors.notFound("no built-in template named " + name));
        HostErrors.translate(() -> ensureBuiltIn(t));
    }

    /** Makes sure a built-in template exists at its default size and matches its current image. */
    public void ensureBuiltIn(BuiltInTemplate t) {
        templates.ensureBuiltIn(t, BuiltInTemplate.DEFAULT_VCPUS, BuiltInTemplate.DEFAULT_MEMORY_MB);
    }

    /** Boots a guest image from scratch to a first command and throws it away; the time it took. */
    public Duration coldBoot(BuiltInTemplate image) {
        return templates.coldBoot(image);
    }

    @Override
    public List<TemplateInfo> templates() {
        return templates.list().stream().map(HostTemplates::info).toList();
    }

    @Override
    public Optional<TemplateInfo> template(String name) {
        return HostErrors.translate(() -> templates.get(name).map(HostTemplates::info));
    }

    @Override
    public void deleteTemplate(String name) {
        HostErrors.translate(() -> {
            templates.delete(name);
            blobs.prune();
        });
    }

    // ---- capsules -----------------------------------------------------------------------------

    @Override
    public List<StoredFile> files(FileSet set) {
        return HostErrors.translate(() -> fileSets.files(set));
    }

    @Override
    public InputStream openFile(FileSet set, String file, long offset) {
        return HostErrors.translate(() -> fileSets.open(set, file, offset));
    }

    @Override
    public long heldBytes(StoredFile file) {
        return HostErrors.translate(() -> fileSets.held(file));
    }

    @Override
    public long receive(StoredFile file, long offset, InputStream data) {
        return HostErrors.translate(() -> blobs.receive(file, offset, data));
    }

    @Override
    public void install(FileSet set, List<StoredFile> files) {
        HostErrors.translate(() -> fileSets.install(set, files));
    }

    @Override
    public CapsuleState create(String id, String template, Integer vcpus, Integer memoryMb, NetworkPolicy network) {
        return HostErrors.translate(() -> runtime.create(id, template, vcpus, memoryMb, network));
    }

    @Override
    public void setNetwork(String id, NetworkPolicy network) {
        HostErrors.translate(() -> runtime.setNetwork(id, network));
    }

    /** Where TCP {@code port} inside a running capsule is reached from this machine (its network namespace's address). */
    public InetSocketAddress portAddress(String id, int port) {
        return HostErrors.translate(() -> runtime.portAddress(id, port));
    }

    @Override
    public PortStream openPort(String id, int port, Duration connectTimeout) {
        return openPorts.connect(id, portAddress(id, port), connectTimeout);
    }

    @Override
    public CapsuleState pause(String id) {
        return HostErrors.translate(() -> runtime.pause(id));
    }

    @Override
    public CapsuleState resume(String id) {
        return HostErrors.translate(() -> runtime.resume(id));
    }

    @Override
    public void destroy(String id) {
        HostErrors.translate(() -> runtime.destroy(id));
        openPorts.closeAll(id);
        blobs.prune();   // files of a deleted template copy that only this capsule still used
    }

    @Override
    public TemplateInfo snapshot(String id, String templateName, boolean overwrite) {
        return HostErrors.translate(() -> HostTemplates.info(runtime.snapshot(id, templateName, overwrite)));
    }

    @Override
    public Optional<CapsuleState> capsule(String id) {
        // one being created has no record yet: it exists once its create returns
        return HostErrors.translate(() -> capsules.find(id).filter(c -> c.meta() != null).map(Capsule::state));
    }

    @Override
    public List<CapsuleState> capsules() {
        return capsules.all().stream().filter(c -> c.meta() != null).map(Capsule::state)
                .sorted(Comparator.comparing(CapsuleState::id)).toList();
    }

    @Override
    public void onVmExit(Consumer<CapsuleState> listener) {
        runtime.onVmExit(listener);
    }

    @Override
    public Guest guest(String capsuleId) {
        return HostErrors.translate(() -> {
            Capsule c = capsules.get(capsuleId);
            GuestChannel g = c.guest();
            if (g == null || c.meta() == null || c.meta().phase() != Phase.RUNNING) {
                throw HostErrors.invalidState("capsule " + capsuleId + " is not running");
            }
            return new LocalGuest(g);
        });
    }

    // ---- for this host's own tests and benchmarks ---------------------------------------------

    /** Clones of a built-in template waiting in the warm pool. */
    public int warmClones(String template) {
        return pool.ready(template);
    }

    /** How many clones of a built-in template the warm pool aims to keep waiting now (it follows demand). */
    public int warmTarget(String template) {
        return pool.target(template);
    }

    /** The pid of a capsule's VMM (0 when none runs). */
    public long vmmPid(String id) {
        return capsules.find(id).map(Capsule::vmmPid).orElse(0L);
    }

    /** Host RSS of a capsule's VMM, in KiB (0 when not running). */
    public long vmmRssKib(String id) {
        return capsules.find(id).map(Capsule::vm).map(vm -> vm.rssKib()).orElse(0L);
    }

    public Path capsuleDir(String id) {
        return runtime.capsuleDir(id);
    }

    /** Lets go of every VM without stopping it; a new host agent on the same data dir takes them over. */
    @Override
    public void close() {
        governor.close();
        logTrimmer.close();
        builder.close();
        pool.close();
        capsules.all().forEach(c -> {
            boolean running = c.vm() != null;
            NetworkSlot slot = c.detach(HostError.HOST_FAILURE, "the host agent stopped");
            if (slot != null) slot.closeHandles();   // the namespace stays with its VM, for the next agent
            if (running) log.atDebug().addKeyValue("capsule", c.id).log("detached, VM keeps running");
        });
        capsules.clear();
        if (network != null) network.close();
        cgroups.release();
    }
}
