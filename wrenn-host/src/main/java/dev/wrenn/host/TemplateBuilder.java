package dev.wrenn.host;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.guest.GuestChannel;
import dev.wrenn.host.image.GuestImage;
import dev.wrenn.host.storage.CapsuleMeta;
import dev.wrenn.host.storage.Commands;
import dev.wrenn.host.storage.DiskLayers;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.TemplateMeta;
import dev.wrenn.host.storage.TemplateStore;
import dev.wrenn.host.vmm.DeviceLayout;
import dev.wrenn.host.vmm.MemoryBacking;
import dev.wrenn.host.vmm.NicBackend;
import dev.wrenn.host.vmm.VmmDriver;
import dev.wrenn.host.vmm.Vm;
import dev.wrenn.host.vmm.VmSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes templates: memory in a file, a device state that leaves RAM out (x-ignore-shared), and a
 * frozen disk chain. Capsules restore from them copy-on-write instead of booting.
 */
final class TemplateBuilder {
    private static final Logger log = LoggerFactory.getLogger(TemplateBuilder.class);
    private static final Duration SAVE_TIMEOUT = Duration.ofSeconds(120);
    private static final String FULL_STATE = "full.state";
    /** Starting QEMU takes well under a second; close() waits this long for a launch in progress. */
    private static final Duration LAUNCH_AT_CLOSE = Duration.ofSeconds(10);

    private final TemplateStore store;
    private final VmmDriver vmm;
    private final DiskLayers disks;
    private final HostConfig config;
    /** VMs of builds in progress: they run in a session of their own and would outlive this process. */
    private final Set<Vm> live = ConcurrentHashMap.newKeySet();
    private boolean closed;
    private int launching;

    TemplateBuilder(TemplateStore store, VmmDriver vmm, DiskLayers disks, HostConfig config) {
        this.store = store;
        this.vmm = vmm;
        this.disks = disks;
        this.config = config;
    }

    private NicBackend detachedNic() {
        return NicBackend.detached(config.network().enabled());
    }

    private Vm launch(VmSpec spec) throws IOException {
        synchronized (this) {
            if (closed) throw new IllegalStateException("the host agent is stopping; no template is built now");
            launching++;
        }
        Vm vm = null;
        try {
            vm = vmm.launch(spec);
            live.add(vm);
            return vm;
        } finally {
            synchronized (this) {
                launching--;
                notifyAll();
                if (closed && vm != null) vm.kill();   // close() ran while QEMU started
            }
        }
    }

    /** Lets a build's VM quit (its state is saved by then) or ends it (the build failed). */
    private void end(Vm vm) {
        try {
            vm.quit(Duration.ofSeconds(10));
        } finally {
            live.remove(vm);
        }
    }

    /**
     * Kills the VMs of builds still in progress (they fail); a stopping host agent leaves none
     * behind. A VM being launched is waited for (bounded): once this returns the process may exit.
     */
    void close() {
        synchronized (this) {
            closed = true;
            Monitors.awaitUntil(this, () -> launching == 0, LAUNCH_AT_CLOSE);
        }
        live.forEach(Vm::kill);
    }

    /** The device layout templates are built with now (a built-in template of another one is rebuilt). */
    DeviceLayout currentLayout() {
        return vmm.currentLayout();
    }

    /**
     * What a build of {@code image} as template {@code name} depends on; {@link #fromImage} builds
     * from exactly these.
     */
    BuildInputs inputs(GuestImage image, String name, int vcpus, int memoryMb, List<String> warmUp) throws IOException {
        return new BuildInputs(name, image.name(), image.hash(), vcpus, memoryMb, warmUp, vmm.currentLayout().id(),
                vmm.accelerator(), detachedNic().netdevArgs(), vmm.version());
    }

    /** Cold-boots an image once and saves it as a built-in template. */
    TemplateMeta fromImage(GuestImage image, BuildInputs build) throws IOException {
        String name = build.template();
        List<String> warmUp = build.warmUp();
        long t0 = System.nanoTime();
        Path dir = store.newStagingDir();
        try {
            FileOps.linkOrCopy(image.kernel(), dir.resolve(VmSpec.KERNEL));
            FileOps.linkOrCopy(image.initrd(), dir.resolve(VmSpec.INITRD));
            String base = DiskLayers.newLayerName();
            log.atInfo().addKeyValue("template", name).log("converting root file system of image {}", image.hash());
            disks.convertBase(image.rootfs(), dir.resolve(base));
            String top = DiskLayers.newLayerName();
            disks.createOverlay(dir, base, top);
            log.atInfo().addKeyValue("template", name).log("cold boot of image {}", image.name());
            Vm vm = launch(new VmSpec("tpl-" + name, dir, DeviceLayout.parse(build.layout()), build.vcpus(),
                    build.memoryMb(), new MemoryBacking.SharedFile(TemplateMeta.MEMORY), top, detachedNic(), false));
            try (GuestChannel guest = GuestChannel.connect("tpl-" + name, vm.guestSocket(), config.bootTimeout(),
                    config.guestTimeout())) {
                log.atInfo().addKeyValue("template", name).log("guest agent ready after {} ms", (System.nanoTime() - t0) / 1_000_000);
                if (!warmUp.isEmpty()) {
                    guest.exec(ExecRequest.command(warmUp.get(0), warmUp.subList(1, warmUp.size()).toArray(String[]::new))
                            .timeout(Duration.ofSeconds(60)).build());
                }
                // not frozen: a template's disk is only ever used together with its memory, whose page
                // cache holds whatever the disk lacks (docs/runtime.md, "No file-system freeze")
                vm.stop();
                vm.save(TemplateMeta.STATE, false, SAVE_TIMEOUT);
            } finally {
                end(vm);
            }
            List<String> layers = List.of(base, top);
            seal(dir, layers);
            TemplateMeta meta = store.commit(dir, new TemplateMeta(name, "base", true, build.vcpus(), build.memoryMb(), layers,
                    Instant.now(), null, image.hash(), 0, build.layout(), false));
            log.atInfo().addKeyValue("template", name).log("built in {} ms", (System.nanoTime() - t0) / 1_000_000);
            return meta;
        } catch (IOException | RuntimeException e) {
            FileOps.deleteTree(dir);
            throw e;
        }
    }

    /** A snapshot template of {@code source}: its size, frozen layers and device layout. */
    private static TemplateMeta snapshotMeta(String name, CapsuleMeta source) {
        return new TemplateMeta(name, "snapshot", false, source.vcpus(), source.memoryMb(), source.layers(), Instant.now(),
                source.id(), null, 0, source.layout(), source.frozen());
    }

    /**
     * Boots an image from scratch in a throwaway directory until its guest agent runs a command,
     * then discards it; returns how long that took. This is the path templates are built on.
     */
    Duration coldBoot(GuestImage image, int vcpus, int memoryMb) throws IOException {
        Path dir = store.newStagingDir();
        try {
            FileOps.linkOrCopy(image.kernel(), dir.resolve(VmSpec.KERNEL));
            FileOps.linkOrCopy(image.initrd(), dir.resolve(VmSpec.INITRD));
            String top = DiskLayers.newLayerName();
            disks.createOverlayOnRaw(dir, image.rootfs(), top);
            long t0 = System.nanoTime();
            Vm vm = launch(new VmSpec("boot-" + dir.getFileName(), dir, vmm.currentLayout(), vcpus, memoryMb,
                    new MemoryBacking.Anonymous(), top, detachedNic(), false));
            try (GuestChannel guest = GuestChannel.connect("boot", vm.guestSocket(), config.bootTimeout(),
                    config.guestTimeout())) {
                guest.exec(ExecRequest.command("true").build());
                return Duration.ofNanos(System.nanoTime() - t0);
            } finally {
                end(vm);
            }
        } finally {
            FileOps.deleteTree(dir);
        }
    }

    /**
     * Turns a full saved state (RAM inside the stream) into a template: a converter VM loads it
     * into a new shared memory file and saves the device state alone. It never runs the guest.
     *
     * @param stateFile  a full state, saved without x-ignore-shared; moved into the template's staging dir
     * @param sourceDir  where the disk layers, kernel and initrd of the source are linked
     * @param source     the capsule as it was saved (its layers are the template's, frozen)
     */
    TemplateMeta fromFullState(String name, Path stateFile, Path sourceDir, CapsuleMeta source) throws IOException {
        long t0 = System.nanoTime();
        Path dir = stateFile.getParent();
        List<String> layers = source.layers();
        String sourceCapsuleId = source.id();
        try {
            List<String> shared = new ArrayList<>(layers);
            shared.add(VmSpec.KERNEL);
            shared.add(VmSpec.INITRD);
            DiskLayers.link(sourceDir, shared, dir);
            Vm vm = launch(new VmSpec("tpl-" + name, dir, DeviceLayout.parse(source.layout()), source.vcpus(),
                    source.memoryMb(), new MemoryBacking.SharedFile(TemplateMeta.MEMORY), source.topLayer(),
                    detachedNic(), true, true));
            try {
                vm.restore(stateFile.getFileName().toString(), true, SAVE_TIMEOUT);
                vm.save(TemplateMeta.STATE, false, SAVE_TIMEOUT);
            } catch (RuntimeException e) {
                throw new dev.wrenn.host.vmm.VmmException("converting the state of " + sourceCapsuleId
                        + " into template " + name + " failed: " + e.getMessage() + "; " + vm.exitReport(), e);
            } finally {
                end(vm);
            }
            Files.delete(stateFile);
            seal(dir, layers);
            TemplateMeta meta = store.commit(dir, snapshotMeta(name, source));
            log.atInfo().addKeyValue("template", name).addKeyValue("capsule", sourceCapsuleId)
                    .log("template written in {} ms", (System.nanoTime() - t0) / 1_000_000);
            return meta;
        } catch (IOException | RuntimeException e) {
            FileOps.deleteTree(dir);
            throw e;
        }
    }

    /**
     * Makes a template from a paused capsule whose RAM is in its own file: the RAM file is copied
     * (sparse) and the device state, saved with x-ignore-shared, is already in the template format.
     */
    TemplateMeta fromDeviceState(String name, Path capsuleDir, CapsuleMeta source, Path dir) throws IOException {
        List<String> layers = source.layers();
        try {
            List<String> shared = new ArrayList<>(layers);
            shared.add(VmSpec.KERNEL);
            shared.add(VmSpec.INITRD);
            DiskLayers.link(capsuleDir, shared, dir);
            Files.copy(capsuleDir.resolve(CapsuleMeta.STATE), dir.resolve(TemplateMeta.STATE));
            FileOps.copySparse(capsuleDir.resolve(CapsuleMeta.MEMORY), dir.resolve(TemplateMeta.MEMORY));
            seal(dir, layers);
            return store.commit(dir, snapshotMeta(name, source));
        } catch (IOException | RuntimeException e) {
            FileOps.deleteTree(dir);
            throw e;
        }
    }

    /** A staging dir for a full state that {@link #fromFullState} will consume. */
    Path stagingStateFile() throws IOException {
        return store.newStagingDir().resolve(FULL_STATE);
    }

    private static void seal(Path dir, List<String> layers) throws IOException {
        for (String f : List.of(TemplateMeta.MEMORY, TemplateMeta.STATE)) FileOps.fsync(dir.resolve(f));
        for (String layer : layers) FileOps.fsync(dir.resolve(layer));
        List<String> frozen = new ArrayList<>(layers);
        frozen.addAll(List.of(TemplateMeta.MEMORY, TemplateMeta.STATE, VmSpec.KERNEL, VmSpec.INITRD));
        DiskLayers.freeze(dir, frozen);
        // the VM's sockets, pid file and logs are of no use to capsules made from the template
        for (String f : List.of(VmSpec.QMP_SOCKET, VmSpec.GUEST_SOCKET, VmSpec.PID_FILE)) Files.deleteIfExists(dir.resolve(f));
    }
}
