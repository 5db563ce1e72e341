package dev.wrenn.host;

import dev.wrenn.host.guest.GuestChannel;
import dev.wrenn.host.guest.GuestIdentity;
import dev.wrenn.host.guest.GuestProtocolException;
import dev.wrenn.host.image.GuestImages;
import dev.wrenn.host.storage.CapsuleMeta;
import dev.wrenn.host.storage.CapsuleMeta.Memory;
import dev.wrenn.host.storage.CapsuleMeta.Phase;
import dev.wrenn.host.storage.DiskLayers;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.Names;
import dev.wrenn.host.storage.TemplateMeta;
import dev.wrenn.host.storage.TemplateStore;
import dev.wrenn.host.vmm.Accelerator;
import dev.wrenn.host.vmm.MemoryBacking;
import dev.wrenn.host.vmm.QemuDriver;
import dev.wrenn.host.vmm.QemuVm;
import dev.wrenn.host.vmm.VmSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the capsules of one machine as QEMU microVMs: creates them from templates (a restore, not
 * a boot), pauses them to disk, resumes them exactly, snapshots them into new templates, notices
 * VMs that die, and finds its VMs again after a restart. VMs outlive the host agent process.
 */
public final class HostAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HostAgent.class);
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration QUIT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration FREEZE_TIMEOUT = Duration.ofSeconds(30);
    private static final String STATE_TMP = "state.tmp";

    private final HostConfig config;
    private final QemuDriver qemu;
    private final DiskLayers disks;
    private final TemplateStore templates;
    private final TemplateBuilder builder;
    private final GuestImages images;
    private final Path capsulesDir;
    private final Map<String, Capsule> capsules = new ConcurrentHashMap<>();
    private final Map<String, Object> templateBuildLocks = new ConcurrentHashMap<>();
    private final List<Consumer<CapsuleInfo>> exitListeners = new CopyOnWriteArrayList<>();
    private final WarmPool pool;
    private final LogTrimmer logTrimmer;

    private HostAgent(HostConfig config) throws IOException {
        this.config = config;
        this.qemu = new QemuDriver(config.qemuBinary(), config.accelerator(), Duration.ofSeconds(10));
        this.disks = new DiskLayers(config.qemuImg());
        this.templates = new TemplateStore(config.dataDir());
        this.builder = new TemplateBuilder(templates, qemu, disks, config);
        this.images = new GuestImages(config.imageCache(), config.repoDir());
        this.capsulesDir = Files.createDirectories(config.dataDir().resolve("capsules"));
        this.pool = new WarmPool(config.dataDir().resolve("pool"), config.warmPool(),
                (template, dir) -> restoreClone(templates.get(template).orElseThrow(
                        () -> new NotFoundException("template " + template + " is gone")), dir, dir.getFileName().toString(),
                        new StepTimer()));
        this.logTrimmer = new LogTrimmer(() -> capsules.values().stream().filter(c -> c.vm() != null).map(c -> c.dir));
    }

    /** Opens a data dir and reattaches to every VM that is still running there. */
    public static HostAgent start(HostConfig config) throws IOException {
        HostAgent agent = new HostAgent(config);
        log.atInfo().addKeyValue("accelerator", config.accelerator().label()).addKeyValue("data_dir", config.dataDir())
                .log("host agent starting");
        agent.recover();
        return agent;
    }

    public Accelerator accelerator() {
        return config.accelerator();
    }

    /** Called (on a background thread) when a capsule's VM ends without being asked to. */
    public void onVmExit(Consumer<CapsuleInfo> listener) {
        exitListeners.add(listener);
    }

    // ---- templates ----------------------------------------------------------------------------

    /** Makes sure a built-in template exists and matches its current image; boots and saves it if not. */
    public TemplateMeta ensureBuiltIn(BuiltInTemplate t) {
        return ensureBuiltIn(t, BuiltInTemplate.DEFAULT_VCPUS, BuiltInTemplate.DEFAULT_MEMORY_MB);
    }

    private TemplateMeta ensureBuiltIn(BuiltInTemplate t, int vcpus, int memoryMb) {
        String name = t.variantName(vcpus, memoryMb);
        synchronized (templateBuildLocks.computeIfAbsent(name, k -> new Object())) {
            var image = images.require(t.templateName());
            Optional<TemplateMeta> existing = templates.get(name);
            if (existing.isPresent() && image.hash().equals(existing.get().imageHash())) {
                pool.refill(name);
                return existing.get();
            }
            try {
                pool.drain(name);
                TemplateMeta built = builder.fromImage(image, name, vcpus, memoryMb, t.warmUp());
                pool.refill(name);
                return built;
            } catch (IOException e) {
                throw new UncheckedIOException("could not build template " + name, e);
            }
        }
    }

    /** Boots a guest image from scratch to a first command and throws it away; the time it took. */
    public Duration coldBoot(BuiltInTemplate image) {
        try {
            return builder.coldBoot(images.require(image.templateName()), BuiltInTemplate.DEFAULT_VCPUS,
                    BuiltInTemplate.DEFAULT_MEMORY_MB);
        } catch (IOException e) {
            throw new UncheckedIOException("cold boot of " + image.templateName() + " failed", e);
        }
    }

    /** Templates users see: built-in ones at their default size and the snapshots, newest first. */
    public List<TemplateMeta> templates() {
        return templates.list().stream().filter(t -> !t.name().contains("@")).toList();
    }

    public Optional<TemplateMeta> template(String name) {
        return templates.get(Names.template(name));
    }

    /** Deletes a snapshot template; capsules made from it keep working. */
    public void deleteTemplate(String name) {
        TemplateMeta t = template(name).orElseThrow(() -> new NotFoundException("template " + name + " does not exist"));
        if (t.builtIn()) throw new TemplateConflictException("forbidden", "template " + name + " is built in and cannot be deleted");
        try {
            templates.delete(name);
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete template " + name, e);
        }
        log.atInfo().addKeyValue("template", name).log("template deleted");
    }

    // ---- capsule lifecycle --------------------------------------------------------------------

    /**
     * Creates a running capsule from a template by restoring it, with its own identity and its own
     * copy-on-write disk and memory. {@code vcpus}/{@code memoryMb} may be null for the template's own;
     * a built-in template boots a variant of another size once, a snapshot template's size is fixed.
     */
    public CapsuleInfo create(String id, String templateName, Integer vcpus, Integer memoryMb) {
        Names.capsuleId(id);
        TemplateMeta t = resolveTemplate(templateName, vcpus, memoryMb);
        Path dir = capsulesDir.resolve(id);
        Capsule c = new Capsule(id, dir, null);
        if (capsules.putIfAbsent(id, c) != null) throw new CapsuleBusyException("capsule " + id + " already exists");
        c.lock.lock();
        StepTimer timer = new StepTimer();
        Clone clone = null;
        try {
            Optional<Clone> warm = t.builtIn() ? pool.take(t.name()) : Optional.empty();
            if (warm.isPresent()) {
                clone = warm.get();
                Files.move(clone.dir(), dir, StandardCopyOption.ATOMIC_MOVE);
                clone.vm().movedTo(dir);
                timer.mark("take");
                clone.guest().init(identity(id, templateName));
                timer.mark("init");
            } else {
                Files.createDirectory(dir);
                clone = restoreClone(t, dir, id, timer);
            }
            c.attach(clone.vm(), clone.guest());
            c.save(clone.meta().adoptedAs(id, templateName));
            watch(c, clone.vm());
            log.atInfo().addKeyValue("capsule", id).addKeyValue("template", templateName)
                    .addKeyValue("ms", timer.totalMs()).addKeyValue("steps", timer).log("capsule created");
            return c.info();
        } catch (IOException | RuntimeException e) {
            c.detach();
            if (clone != null) clone.vm().kill();
            capsules.remove(id);
            FileOps.deleteTree(dir);
            log.atWarn().addKeyValue("capsule", id).log("create failed: {}", e.getMessage());
            if (e instanceof IOException io) throw new UncheckedIOException("could not create capsule " + id, io);
            throw (RuntimeException) e;
        } finally {
            c.lock.unlock();
        }
    }

    /** Restores a template into {@code dir} under VM name {@code vmName}: running, thawed, guest connected. */
    private Clone restoreClone(TemplateMeta t, Path dir, String vmName, StepTimer timer) throws IOException {
        Path tdir = templates.dir(t.name());
        DiskLayers.link(tdir, t.layers(), dir);
        DiskLayers.link(tdir, List.of(VmSpec.KERNEL, VmSpec.INITRD), dir);
        FileOps.linkOrCopy(tdir.resolve(TemplateMeta.MEMORY), dir.resolve(CapsuleMeta.TEMPLATE_MEMORY));
        FileOps.linkOrCopy(tdir.resolve(TemplateMeta.STATE), dir.resolve(CapsuleMeta.TEMPLATE_STATE));
        String top = DiskLayers.newLayerName();
        timer.mark("link");
        disks.createOverlay(dir, t.topLayer(), top);
        timer.mark("overlay");
        List<String> layers = new ArrayList<>(t.layers());
        layers.add(top);
        CapsuleMeta meta = new CapsuleMeta(vmName, t.name(), t.vcpus(), t.memoryMb(), layers, Memory.TEMPLATE, vmName,
                Instant.now(), Phase.RUNNING, null, vmName);
        QemuVm vm = qemu.launch(spec(vmName, dir, meta, new MemoryBacking.PrivateFile(CapsuleMeta.TEMPLATE_MEMORY)));
        timer.mark("launch");
        try {
            vm.restore(CapsuleMeta.TEMPLATE_STATE, true, STATE_TIMEOUT);
            timer.mark("restore");
            vm.cont();
            GuestChannel guest = connectGuest(vmName, vm);
            try {
                // thaw first: until then any guest step that needs write access to the root mount blocks
                guest.thaw(FREEZE_TIMEOUT);
                timer.mark("thaw");
                guest.init(identity(vmName, t.name()));
                timer.mark("init");
            } catch (RuntimeException e) {
                guest.close();
                throw e;
            }
            return new Clone(dir, meta, vm, guest);
        } catch (RuntimeException e) {
            vm.kill();
            throw e;
        }
    }

    /**
     * Pauses a running capsule: filesystems frozen, vCPUs stopped, the VM state written and
     * fsync'd, the VMM process ended. Afterwards the capsule is files only. On failure it keeps running.
     * A capsule that runs on its own RAM file saves only device state; a fresh clone saves its RAM too.
     */
    public CapsuleInfo pause(String id) {
        Capsule c = lockRunning(id, "pause");
        StepTimer timer = new StepTimer();
        try {
            QemuVm vm = c.vm();
            GuestChannel guest = c.guest();
            Memory memory = c.meta().memory();
            freezeQuietly(c);
            timer.mark("freeze");
            vm.stop();
            try {
                vm.save(STATE_TMP, !memory.stateHasRam(), STATE_TIMEOUT);
                timer.mark("save");
                // the drive runs with cache=unsafe (see VmSpec): its data is made durable here, at the pause
                List<Path> durable = new ArrayList<>(List.of(c.dir.resolve(STATE_TMP), c.dir.resolve(c.meta().topLayer())));
                if (!memory.stateHasRam()) durable.add(c.dir.resolve(CapsuleMeta.MEMORY));
                FileOps.fdatasyncAll(durable);
                Files.move(c.dir.resolve(STATE_TMP), c.dir.resolve(CapsuleMeta.STATE), StandardCopyOption.ATOMIC_MOVE);
                FileOps.fsyncDir(c.dir);
                timer.mark("fsync");
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(c.dir.resolve(STATE_TMP));
                vm.cont();
                guest.thaw(FREEZE_TIMEOUT);
                throw e;
            }
            c.save(c.meta().paused());
            vm.quit(QUIT_TIMEOUT);
            c.detach();
            timer.mark("quit");
            if (memory == Memory.TEMPLATE) {
                // RAM now lives in the state file: the template's files are no longer needed here
                Files.deleteIfExists(c.dir.resolve(CapsuleMeta.TEMPLATE_MEMORY));
                Files.deleteIfExists(c.dir.resolve(CapsuleMeta.TEMPLATE_STATE));
            }
            log.atInfo().addKeyValue("capsule", id).addKeyValue("ms", timer.totalMs()).addKeyValue("steps", timer)
                    .log("capsule paused");
            return c.info();
        } catch (IOException e) {
            throw new UncheckedIOException("could not pause capsule " + id, e);
        } finally {
            c.lock.unlock();
        }
    }

    /**
     * Resumes a paused capsule exactly where it was: every process, every byte of memory and disk.
     * RAM comes back into the capsule's own shared file, so later pauses write only device state.
     */
    public CapsuleInfo resume(String id) {
        Capsule c = lockPhase(id, Phase.PAUSED, "resume");
        StepTimer timer = new StepTimer();
        try {
            CapsuleMeta meta = c.meta();
            boolean stateHasRam = meta.memory().stateHasRam();
            Path memoryFile = c.dir.resolve(CapsuleMeta.MEMORY);
            if (stateHasRam) Files.deleteIfExists(memoryFile);
            QemuVm vm = qemu.launch(spec(id, c.dir, meta, new MemoryBacking.SharedFile(CapsuleMeta.MEMORY)));
            timer.mark("launch");
            try {
                vm.restore(CapsuleMeta.STATE, !stateHasRam, STATE_TIMEOUT);
                timer.mark("restore");
                // from here the guest moves past the pause files: they must never be resumed again
                Files.delete(c.dir.resolve(CapsuleMeta.STATE));
                c.save(meta.resumedAs(Memory.OWN_FILE));
                vm.cont();
            } catch (IOException | RuntimeException e) {
                vm.kill();
                if (Files.exists(c.dir.resolve(CapsuleMeta.STATE))) {
                    c.save(meta);
                } else {
                    c.save(meta.withPhase(Phase.EXITED, "resume_failed: " + e.getMessage()));
                }
                throw e;
            }
            try {
                c.attach(vm, wakeGuest(id, vm, meta));
                timer.mark("guest");
            } catch (RuntimeException e) {
                vm.kill();
                c.save(meta.withPhase(Phase.EXITED, "resume_failed: " + e.getMessage()));
                throw e;
            }
            watch(c, vm);
            if (stateHasRam) writeBackInBackground(id, memoryFile);
            log.atInfo().addKeyValue("capsule", id).addKeyValue("ms", timer.totalMs()).addKeyValue("steps", timer)
                    .log("capsule resumed");
            return c.info();
        } catch (IOException e) {
            throw new UncheckedIOException("could not resume capsule " + id, e);
        } finally {
            c.lock.unlock();
        }
    }

    /** Writes a freshly filled RAM file to disk now, so the next pause only flushes what changed since. */
    private static void writeBackInBackground(String id, Path memoryFile) {
        Thread.ofVirtual().name("writeback-" + id).start(() -> {
            try {
                FileOps.fsync(memoryFile);
            } catch (IOException e) {
                log.atDebug().addKeyValue("capsule", id).log("background write-back failed: {}", e.getMessage());
            }
        });
    }

    /** Ends the VM and removes every file of the capsule. Unknown ids are a no-op. */
    public void destroy(String id) {
        Capsule c = capsules.get(Names.capsuleId(id));
        if (c == null) return;
        c.lock.lock();
        try {
            QemuVm vm = c.vm();
            c.detach();
            if (vm != null) vm.kill();
            capsules.remove(id);
            FileOps.deleteTree(c.dir);
            log.atInfo().addKeyValue("capsule", id).log("capsule destroyed");
        } finally {
            c.lock.unlock();
        }
    }

    /**
     * Saves a capsule as a new template. A running capsule is stopped only while its state is
     * written, then runs on (same id, a new writable disk layer on top of the frozen one).
     */
    public TemplateMeta snapshot(String id, String name, boolean overwrite) {
        Names.template(name);
        Optional<TemplateMeta> existing = templates.get(name);
        if (BuiltInTemplate.named(name).isPresent() || existing.map(TemplateMeta::builtIn).orElse(false)) {
            throw new TemplateConflictException("name_reserved", "template name " + name + " is reserved for a built-in template");
        }
        if (existing.isPresent() && !overwrite) {
            throw new TemplateConflictException("template_name_taken", "a template named " + name + " already exists");
        }
        Capsule c = capsules.get(Names.capsuleId(id));
        if (c == null) throw new NotFoundException("capsule " + id + " does not exist");
        if (!c.lock.tryLock()) throw new CapsuleBusyException("capsule " + id + " is busy with another operation");
        long t0 = System.nanoTime();
        try {
            CapsuleMeta meta = c.meta();
            Path state = builder.stagingStateFile();
            String newTop = DiskLayers.newLayerName();
            disks.createOverlay(c.dir, meta.topLayer(), newTop);
            List<String> frozenLayers = meta.layers();
            if (meta.phase() == Phase.RUNNING) {
                QemuVm vm = c.vm();
                freezeQuietly(c);
                vm.stop();
                try {
                    vm.switchDisk(newTop);
                    c.save(meta.withTopLayer(newTop));
                    vm.save(state.toString(), false, STATE_TIMEOUT);
                } finally {
                    vm.cont();
                    c.guest().thaw(FREEZE_TIMEOUT);
                }
            } else if (meta.phase() == Phase.PAUSED && !meta.memory().stateHasRam()) {
                // device state alone plus the RAM file: already a template's format, no converter needed
                c.save(meta.withTopLayer(newTop));
                return builder.fromDeviceState(name, c.dir, frozenLayers, meta.vcpus(), meta.memoryMb(), id, state.getParent());
            } else if (meta.phase() == Phase.PAUSED) {
                Files.createLink(state, c.dir.resolve(CapsuleMeta.STATE));
                c.save(meta.withTopLayer(newTop));
            } else {
                throw new CapsuleBusyException("capsule " + id + " is " + meta.phase().name().toLowerCase() + "; only running or paused capsules can be snapshotted");
            }
            log.atInfo().addKeyValue("capsule", id).addKeyValue("template", name)
                    .addKeyValue("frozen_ms", (System.nanoTime() - t0) / 1_000_000).log("capsule state captured");
            return builder.fromFullState(name, state, c.dir, frozenLayers, meta.vcpus(), meta.memoryMb(), id);
        } catch (IOException e) {
            throw new UncheckedIOException("could not snapshot capsule " + id, e);
        } finally {
            c.lock.unlock();
        }
    }

    // ---- queries ------------------------------------------------------------------------------

    public Optional<CapsuleInfo> info(String id) {
        return Optional.ofNullable(capsules.get(Names.capsuleId(id))).map(Capsule::info);
    }

    public List<CapsuleInfo> list() {
        return capsules.values().stream().map(Capsule::info).sorted(Comparator.comparing(CapsuleInfo::id)).toList();
    }

    /** The guest channel of a running capsule, for exec and files. */
    public GuestChannel guest(String id) {
        Capsule c = capsules.get(Names.capsuleId(id));
        if (c == null) throw new NotFoundException("capsule " + id + " does not exist");
        GuestChannel g = c.guest();
        if (g == null || c.meta().phase() != Phase.RUNNING) {
            throw new CapsuleBusyException("capsule " + id + " is not running");
        }
        return g;
    }

    /** Clones of a built-in template waiting in the warm pool. */
    public int warmClones(String template) {
        return pool.ready(template);
    }

    /** Host RSS of a capsule's VMM, in KiB (0 when not running). */
    public long vmmRssKib(String id) {
        Capsule c = capsules.get(Names.capsuleId(id));
        QemuVm vm = c == null ? null : c.vm();
        return vm == null ? 0 : vm.rssKib();
    }

    public Path capsuleDir(String id) {
        return capsulesDir.resolve(Names.capsuleId(id));
    }

    /** Lets go of every VM without stopping it; a new host agent on the same data dir takes them over. */
    @Override
    public void close() {
        logTrimmer.close();
        pool.close();
        capsules.values().forEach(c -> {
            QemuVm vm = c.vm();
            c.detach();
            if (vm != null) log.atDebug().addKeyValue("capsule", c.id).log("detached, VM keeps running");
        });
        capsules.clear();
    }

    // ---- internals ----------------------------------------------------------------------------

    private TemplateMeta resolveTemplate(String name, Integer vcpus, Integer memoryMb) {
        Optional<BuiltInTemplate> builtIn = BuiltInTemplate.named(name);
        if (builtIn.isPresent()) {
            int v = vcpus == null ? BuiltInTemplate.DEFAULT_VCPUS : vcpus;
            int m = memoryMb == null ? BuiltInTemplate.DEFAULT_MEMORY_MB : memoryMb;
            // the hot path trusts a template that exists; ensureBuiltIn (at start) checks it against its image
            return templates.get(builtIn.get().variantName(v, m)).orElseGet(() -> ensureBuiltIn(builtIn.get(), v, m));
        }
        TemplateMeta t = template(name).orElseThrow(() -> new NotFoundException("template " + name + " does not exist"));
        if ((vcpus != null && vcpus != t.vcpus()) || (memoryMb != null && memoryMb != t.memoryMb())) {
            throw new IllegalArgumentException("template " + name + " was saved with " + t.vcpus() + " vcpus and "
                    + t.memoryMb() + " MiB; a capsule from it cannot have " + vcpus + " vcpus and " + memoryMb + " MiB");
        }
        return t;
    }

    private static VmSpec spec(String vmName, Path dir, CapsuleMeta meta, MemoryBacking memory) {
        return new VmSpec(vmName, dir, meta.vcpus(), meta.memoryMb(), memory, meta.topLayer(), true);
    }

    private static String hostnameOf(String id) {
        return id;
    }

    /** Connects to a restored guest, thaws its disks, and gives it its identity, clock and entropy. */
    private GuestChannel wakeGuest(String id, QemuVm vm, CapsuleMeta meta) {
        GuestChannel guest = connectGuest(id, vm);
        try {
            // thaw first: until then any guest step that needs write access to the root mount blocks
            guest.thaw(FREEZE_TIMEOUT);
            guest.init(identity(id, meta.template()));
            return guest;
        } catch (RuntimeException e) {
            guest.close();
            throw e;
        }
    }

    private GuestChannel connectGuest(String name, QemuVm vm) {
        try {
            return GuestChannel.connect(name, vm.guestSocket(), config.guestTimeout(), config.guestTimeout());
        } catch (IOException e) {
            throw new UncheckedIOException("could not connect to the guest of " + name, e);
        }
    }

    private static GuestIdentity identity(String id, String template) {
        return new GuestIdentity(id, hostnameOf(id), Map.of("WRENN_TEMPLATE", template));
    }

    private void freezeQuietly(Capsule c) {
        try {
            c.guest().freeze(FREEZE_TIMEOUT);
        } catch (GuestProtocolException | dev.wrenn.host.guest.GuestException e) {
            // the stopped VM is a consistent snapshot of disk and page cache even unfrozen
            log.atWarn().addKeyValue("capsule", c.id).log("filesystem freeze failed, saving anyway: {}", e.getMessage());
        }
    }

    private void watch(Capsule c, QemuVm vm) {
        vm.exited().thenRunAsync(() -> onExit(c, vm), r -> Thread.ofVirtual().start(r));
    }

    private void onExit(Capsule c, QemuVm vm) {
        if (vm.exitExpected()) return;
        c.lock.lock();
        try {
            if (c.vm() != vm || vm.exitExpected()) return;
            String reason = "vm_exited: " + vm.exitReport();
            c.detach();
            c.save(c.meta().withPhase(Phase.EXITED, reason));
            log.atWarn().addKeyValue("capsule", c.id).log("VM exited on its own: {}", reason);
        } finally {
            c.lock.unlock();
        }
        CapsuleInfo info = c.info();
        exitListeners.forEach(l -> l.accept(info));
    }

    private Capsule lockRunning(String id, String op) {
        Capsule c = lockPhase(id, Phase.RUNNING, op);
        if (c.vm() == null || c.guest() == null) {
            c.lock.unlock();
            throw new CapsuleBusyException("capsule " + id + " has no running VM");
        }
        return c;
    }

    private Capsule lockPhase(String id, Phase phase, String op) {
        Capsule c = capsules.get(Names.capsuleId(id));
        if (c == null) throw new NotFoundException("capsule " + id + " does not exist");
        if (!c.lock.tryLock()) throw new CapsuleBusyException("capsule " + id + " is busy with another operation");
        if (c.meta() == null || c.meta().phase() != phase) {
            Phase actual = c.meta() == null ? null : c.meta().phase();
            c.lock.unlock();
            throw new CapsuleBusyException("capsule " + id + " is " + (actual == null ? "being created" : actual.name().toLowerCase())
                    + "; only " + phase.name().toLowerCase() + " capsules can " + op);
        }
        return c;
    }

    /** Brings every capsule directory to a state a user can act on after a restart or a crash. */
    private void recover() throws IOException {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(capsulesDir)) {
            dirs = s.filter(Files::isDirectory).toList();
        }
        for (Path dir : dirs) {
            String id = dir.getFileName().toString();
            try {
                recoverOne(id, dir);
            } catch (RuntimeException e) {
                log.atError().addKeyValue("capsule", id).log("could not recover capsule: {}", e.getMessage());
            }
        }
    }

    private void recoverOne(String id, Path dir) throws IOException {
        Path metaFile = dir.resolve(CapsuleMeta.FILE);
        CapsuleMeta recorded = Files.exists(metaFile) ? FileOps.readJson(metaFile, CapsuleMeta.class) : null;
        Optional<QemuVm> vm = QemuVm.attach(recorded == null ? id : recorded.vmName(), dir, Duration.ofSeconds(5));
        if (vm.isEmpty() && QemuVm.killAllIn(dir) > 0) {
            // a VM that could not be taken over (still starting, mid-restore): it must not touch the files
            log.atInfo().addKeyValue("capsule", id).log("killed a VM that could not be reattached");
        }
        if (recorded == null) {
            // a create that never finished: nothing a user was told about
            vm.ifPresent(QemuVm::kill);
            FileOps.deleteTree(dir);
            log.atInfo().addKeyValue("capsule", id).log("removed an unfinished create");
            return;
        }
        CapsuleMeta meta = recorded;
        Capsule c = new Capsule(id, dir, meta);
        capsules.put(id, c);
        Files.deleteIfExists(dir.resolve(STATE_TMP));
        boolean hasState = Files.exists(dir.resolve(CapsuleMeta.STATE));
        switch (meta.phase()) {
            case RUNNING -> {
                if (vm.isPresent()) {
                    QemuVm v = vm.get();
                    try {
                        String status = v.status();
                        if (!status.equals("running")) v.cont(); // a pause or resume interrupted mid-way
                        c.attach(v, wakeGuest(id, v, meta));
                        watch(c, v);
                        Files.deleteIfExists(dir.resolve(CapsuleMeta.STATE));
                        log.atInfo().addKeyValue("capsule", id).log("reattached to running VM (was {})", status);
                    } catch (RuntimeException e) {
                        v.kill();
                        c.detach();
                        c.save(hasState ? meta.paused() : meta.withPhase(Phase.EXITED, "host_lost: could not reattach: " + e.getMessage()));
                        log.atWarn().addKeyValue("capsule", id).log("could not reattach: {}", e.getMessage());
                    }
                } else if (hasState) {
                    c.save(meta.paused());
                    log.atInfo().addKeyValue("capsule", id).log("pause had completed; capsule is paused");
                } else {
                    c.save(meta.withPhase(Phase.EXITED, "host_lost: VM not running after host agent restart"));
                    log.atWarn().addKeyValue("capsule", id).log("VM is gone");
                }
            }
            case PAUSED -> {
                if (vm.isPresent() && !hasState) {
                    // a resume that had restored the state but not recorded it: the VM holds the capsule
                    QemuVm v = vm.get();
                    c.save(meta.resumedAs(Memory.OWN_FILE));
                    if (!v.status().equals("running")) v.cont();
                    c.attach(v, wakeGuest(id, v, meta));
                    watch(c, v);
                    log.atInfo().addKeyValue("capsule", id).log("finished an interrupted resume");
                } else {
                    // a resume that had not consumed the pause files yet: they are still the truth
                    vm.ifPresent(QemuVm::kill);
                    if (!hasState) c.save(meta.withPhase(Phase.EXITED, "host_lost: pause files missing"));
                }
            }
            case EXITED -> vm.ifPresent(QemuVm::kill);
        }
    }
}
