package dev.wrenn.host;

import dev.wrenn.host.api.ExitCause;
import dev.wrenn.host.guest.GuestChannel;
import dev.wrenn.host.storage.CapsuleMeta;
import dev.wrenn.host.storage.CapsuleMeta.Memory;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.vmm.Vm;
import dev.wrenn.host.vmm.VmmDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** At start: finds the VMs of an earlier host agent again and settles every capsule directory (see {@link RecoveryAction}). */
final class HostRecovery {
    private static final Logger log = LoggerFactory.getLogger(HostRecovery.class);

    private final CapsuleRegistry capsules;
    private final CapsuleRuntime runtime;
    private final CloneRestorer restorer;
    private final VmmDriver vmm;
    private final Path capsulesDir;

    HostRecovery(CapsuleRegistry capsules, CapsuleRuntime runtime, CloneRestorer restorer, VmmDriver vmm, Path capsulesDir) {
        this.capsules = capsules;
        this.runtime = runtime;
        this.restorer = restorer;
        this.vmm = vmm;
        this.capsulesDir = capsulesDir;
    }

    void run() throws IOException {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(capsulesDir)) {
            dirs = s.filter(Files::isDirectory).toList();
        }
        for (Path dir : dirs) {
            String id = dir.getFileName().toString();
            try {
                recoverOne(id, dir);
            } catch (IOException | RuntimeException e) {
                log.atError().addKeyValue("capsule", id).log("could not recover capsule: {}", e.getMessage());
            }
        }
    }

    private void recoverOne(String id, Path dir) throws IOException {
        Path metaFile = dir.resolve(CapsuleMeta.FILE);
        CapsuleMeta meta = Files.exists(metaFile) ? FileOps.readJson(metaFile, CapsuleMeta.class) : null;
        Optional<Vm> vm = vmm.attach(meta == null ? id : meta.vmName(), dir, Duration.ofSeconds(5));
        if (vm.isEmpty() && vmm.killAllIn(dir) > 0) {
            // a VM that could not be taken over (still starting, mid-restore): it must not touch the files
            log.atInfo().addKeyValue("capsule", id).log("killed a VM that could not be reattached");
        }
        Files.deleteIfExists(dir.resolve(CapsuleRuntime.STATE_TMP));
        boolean hasState = Files.exists(dir.resolve(CapsuleMeta.STATE));
        RecoveryAction action = RecoveryAction.decide(meta == null ? null : meta.phase(), vm.isPresent(), hasState);
        if (action == RecoveryAction.DISCARD) {
            vm.ifPresent(Vm::kill);
            FileOps.deleteTree(dir);
            log.atInfo().addKeyValue("capsule", id).log("removed an unfinished create");
            return;
        }
        Capsule c = new Capsule(id, dir, meta);
        capsules.put(c);
        switch (action) {
            case REATTACH -> reattach(c, vm.orElseThrow(), hasState);
            case FINISH_RESUME -> {
                Vm v = vm.orElseThrow();
                c.save(meta.resumedAs(Memory.OWN_FILE));
                if (!v.status().equals("running")) v.cont();
                c.attach(v, restorer.wakeGuest(id, v, meta.frozen(), null, new StepTimer()), restorer.adopt(id, meta));
                runtime.watch(c, v);
                log.atInfo().addKeyValue("capsule", id).log("finished an interrupted resume");
            }
            case PAUSED -> {
                vm.ifPresent(Vm::kill);
                if (meta.phase() != dev.wrenn.host.api.Phase.PAUSED) c.save(meta.paused());
                log.atInfo().addKeyValue("capsule", id).log("capsule is paused");
            }
            case LOST -> {
                c.save(meta.exited(ExitCause.HOST_LOST, "neither its VM nor its pause files were found after a restart"));
                log.atWarn().addKeyValue("capsule", id).log("VM is gone");
            }
            case EXITED -> vm.ifPresent(Vm::kill);
            case DISCARD -> throw new IllegalStateException("handled above");
        }
    }

    /** Takes over a VM that still runs; a pause or resume interrupted mid-way is finished or undone. */
    private void reattach(Capsule c, Vm v, boolean hasState) throws IOException {
        CapsuleMeta meta = c.meta();
        try {
            String status = v.status();
            if (!status.equals("running")) v.cont();
            // a pause cut off by an earlier version may have left its disks frozen; thawing a thawed one is harmless
            GuestChannel guest = restorer.wakeGuest(c.id, v, true, CloneRestorer.identity(c.id, meta.template()), new StepTimer());
            c.attach(v, guest, restorer.adopt(c.id, meta));
            runtime.watch(c, v);
            Files.deleteIfExists(c.dir.resolve(CapsuleMeta.STATE));
            log.atInfo().addKeyValue("capsule", c.id).log("reattached to running VM (was {})", status);
        } catch (RuntimeException e) {
            v.kill();
            restorer.unplug(c.detach(dev.wrenn.host.api.HostError.HOST_FAILURE, "reattaching failed"));
            c.save(hasState ? meta.paused() : meta.exited(ExitCause.HOST_LOST, "could not reattach: " + e.getMessage()));
            log.atWarn().addKeyValue("capsule", c.id).log("could not reattach: {}", e.getMessage());
        }
    }
}
