package dev.wrenn.host;

import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.ExitCause;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.guest.GuestChannel;
import dev.wrenn.host.net.NetworkSlot;
import dev.wrenn.host.storage.CapsuleMeta;
import dev.wrenn.host.storage.CapsuleMeta.Memory;
import dev.wrenn.host.storage.DiskLayers;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.Names;
import dev.wrenn.host.storage.StoredPolicy;
import dev.wrenn.host.storage.TemplateMeta;
import dev.wrenn.host.vmm.MemoryBacking;
import dev.wrenn.host.vmm.Vm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of capsules on this host: created from a template (a restore, not a boot), paused to
 * disk, resumed exactly, snapshotted into a template, destroyed; and the VMs that die on their own.
 */
final class CapsuleRuntime {
    private static final Logger log = LoggerFactory.getLogger(CapsuleRuntime.class);
    private static final Duration STATE_TIMEOUT = CloneRestorer.STATE_TIMEOUT;
    private static final Duration QUIT_TIMEOUT = Duration.ofSeconds(10);
    static final String STATE_TMP = "state.tmp";

    private final CloneRestorer restorer;
    private final DiskLayers disks;
    private final HostTemplates templates;
    private final TemplateBuilder builder;
    private final WarmPool pool;
    private final CapsuleRegistry capsules;
    private final Path capsulesDir;
    private final List<Consumer<CapsuleState>> exitListeners = new CopyOnWriteArrayList<>();

    CapsuleRuntime(CloneRestorer restorer, DiskLayers disks, HostTemplates templates, TemplateBuilder builder,
                   WarmPool pool, CapsuleRegistry capsules, Path capsulesDir) {
        this.restorer = restorer;
        this.disks = disks;
        this.templates = templates;
        this.builder = builder;
        this.pool = pool;
        this.capsules = capsules;
        this.capsulesDir = capsulesDir;
    }

    void onVmExit(Consumer<CapsuleState> listener) {
        exitListeners.add(listener);
    }

    Path capsuleDir(String id) {
        return capsulesDir.resolve(Names.capsuleId(id));
    }

    /**
     * Creates a running capsule from a template by restoring it, with its own identity and its own
     * copy-on-write disk and memory, on the network as {@code network} allows.
     */
    CapsuleState create(String id, String templateName, Integer vcpus, Integer memoryMb, NetworkPolicy network) {
        Names.capsuleId(id);
        TemplateMeta t = templates.resolve(templateName, vcpus, memoryMb);
        Path dir = capsulesDir.resolve(id);
        Capsule c = new Capsule(id, dir, null);
        if (!capsules.add(c)) throw HostErrors.invalidState("capsule " + id + " already exists");
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
                // a warm clone runs nothing but the guest agent: its policy goes in while the guest
                // takes its identity, and both are done before anyone gets the capsule
                CompletableFuture<Void> policy = applyAsync(clone.slot(), id, network);
                clone.guest().init(CloneRestorer.identity(id, templateName));
                timer.mark("init");
                awaitPolicy(policy);
                timer.mark("network");
            } else {
                Files.createDirectory(dir);
                // a snapshot's processes run from the restore on: the policy is in force before
                clone = restorer.restore(t, dir, id, timer, network, false);
            }
            c.attach(clone.vm(), clone.guest(), clone.slot());
            c.save(clone.meta().adoptedAs(id, templateName).withNetwork(StoredPolicy.of(network)));
            watch(c, clone.vm());
            log.atInfo().addKeyValue("capsule", id).addKeyValue("template", templateName)
                    .addKeyValue("ms", timer.totalMs()).addKeyValue("steps", timer).log("capsule created");
            return c.state();
        } catch (IOException | RuntimeException e) {
            c.detach(HostError.HOST_FAILURE, "the create of capsule " + id + " failed");
            if (clone != null) {
                clone.vm().kill();
                restorer.unplug(clone.slot());
            }
            capsules.remove(id);
            FileOps.deleteTree(dir);
            log.atWarn().addKeyValue("capsule", id).log("create failed: {}", e.getMessage());
            if (e instanceof IOException io) throw HostErrors.io("could not create capsule " + id, io);
            throw (RuntimeException) e;
        } finally {
            c.lock.unlock();
            if (t.builtIn()) pool.refillAfterCreate(t.name());
        }
    }

    /**
     * Pauses a running capsule: vCPUs stopped, the VM state written and fsync'd, the VMM process
     * ended. Afterwards the capsule is files only. On failure it keeps running. A capsule on its own
     * RAM file (every one made now) saves only device state and flushes the file's changed pages; a
     * clone from before, on its template's file, saves its RAM into the state too.
     */
    CapsuleState pause(String id) {
        Capsule c = capsules.lockRunning(id, "pause");
        StepTimer timer = new StepTimer();
        try {
            Vm vm = c.vm();
            GuestChannel guest = c.guest();
            Memory memory = c.meta().memory();
            vm.stop();
            timer.mark("stop");
            try {
                vm.save(STATE_TMP, memory.stateHasRam(), STATE_TIMEOUT);
                timer.mark("save");
                // the drive runs with cache=unsafe (see VmSpec): its data is made durable here, at the pause
                List<Path> durable = new ArrayList<>(List.of(c.dir.resolve(STATE_TMP), c.dir.resolve(c.meta().topLayer())));
                if (!memory.stateHasRam()) durable.add(c.dir.resolve(CapsuleMeta.MEMORY));
                FileOps.fdatasyncAll(durable);
                Files.move(c.dir.resolve(STATE_TMP), c.dir.resolve(CapsuleMeta.STATE), StandardCopyOption.ATOMIC_MOVE);
                FileOps.fsyncDir(c.dir);
                timer.mark("fsync");
                c.save(c.meta().paused());
            } catch (IOException | RuntimeException e) {
                // the record still says running (it is written atomically): without the state the capsule is running
                Files.deleteIfExists(c.dir.resolve(STATE_TMP));
                Files.deleteIfExists(c.dir.resolve(CapsuleMeta.STATE));
                vm.cont();
                throw e;
            }
            // streams learn why they end before the VM's exit closes the port under them
            guest.close(HostError.CAPSULE_PAUSED, "capsule " + id + " was paused");
            vm.quit(QUIT_TIMEOUT);
            restorer.unplug(c.detach(HostError.CAPSULE_PAUSED, "capsule " + id + " was paused"));
            timer.mark("quit");
            if (memory == Memory.TEMPLATE) {
                // RAM now lives in the state file: the template's files are no longer needed here
                Files.deleteIfExists(c.dir.resolve(CapsuleMeta.TEMPLATE_MEMORY));
                Files.deleteIfExists(c.dir.resolve(CapsuleMeta.TEMPLATE_STATE));
            }
            log.atInfo().addKeyValue("capsule", id).addKeyValue("ms", timer.totalMs()).addKeyValue("steps", timer)
                    .log("capsule paused");
            return c.state();
        } catch (IOException e) {
            throw HostErrors.io("could not pause capsule " + id, e);
        } finally {
            c.lock.unlock();
        }
    }

    /**
     * Resumes a paused capsule exactly where it was: every process, every byte of memory and disk.
     * RAM comes back into the capsule's own shared file, so later pauses write only device state.
     */
    CapsuleState resume(String id) {
        Capsule c = capsules.lock(id, Phase.PAUSED, "resume");
        StepTimer timer = new StepTimer();
        try {
            CapsuleMeta meta = c.meta();
            boolean stateHasRam = meta.memory().stateHasRam();
            Path memoryFile = c.dir.resolve(CapsuleMeta.MEMORY);
            if (stateHasRam) Files.deleteIfExists(memoryFile);
            NetworkSlot slot = restorer.plugIn(id, meta, StoredPolicy.policy(meta.network()));
            timer.mark("network");
            Vm vm = null;
            try {
                // recorded before the VM starts in it: an agent restarted mid-resume finds the slot
                CapsuleMeta plugged = meta.withNetSlot(slot == null ? null : slot.index());
                c.save(plugged);
                vm = restorer.launch(id, c.dir, meta, new MemoryBacking.SharedFile(CapsuleMeta.MEMORY), slot);
                timer.mark("launch");
                vm.restore(CapsuleMeta.STATE, stateHasRam, STATE_TIMEOUT);
                timer.mark("restore");
                // from here the guest moves past the pause files: they must never be resumed again
                Files.delete(c.dir.resolve(CapsuleMeta.STATE));
                c.save(plugged.resumedAs(Memory.OWN_FILE));
                vm.cont();
            } catch (IOException | RuntimeException e) {
                if (vm != null) vm.kill();
                restorer.unplug(slot);
                c.save(Files.exists(c.dir.resolve(CapsuleMeta.STATE)) ? meta
                        : meta.exited(ExitCause.HOST_LOST, "the resume failed after the pause files were used: " + e.getMessage()));
                throw e;
            }
            try {
                c.attach(vm, restorer.wakeGuest(id, vm, meta.frozen(), null, timer), slot);
            } catch (RuntimeException e) {
                vm.kill();
                restorer.unplug(slot);
                c.save(meta.exited(ExitCause.HOST_LOST, "the guest did not wake after the resume: " + e.getMessage()));
                throw e;
            }
            watch(c, vm);
            if (stateHasRam) FileOps.writeBackInBackground(memoryFile);
            log.atInfo().addKeyValue("capsule", id).addKeyValue("ms", timer.totalMs()).addKeyValue("steps", timer)
                    .log("capsule resumed");
            return c.state();
        } catch (IOException e) {
            throw HostErrors.io("could not resume capsule " + id, e);
        } finally {
            c.lock.unlock();
        }
    }

    /** Ends the VM and removes every file of the capsule. Unknown ids are a no-op. */
    void destroy(String id) {
        Optional<Capsule> found = capsules.find(id);
        if (found.isEmpty()) return;
        Capsule c = found.get();
        c.lock.lock();
        try {
            Vm vm = c.vm();
            NetworkSlot slot = c.detach(HostError.NOT_FOUND, "capsule " + id + " was destroyed");
            if (vm != null) vm.kill();
            restorer.unplug(slot);
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
    TemplateMeta snapshot(String id, String name, boolean overwrite) {
        templates.checkNewName(name, overwrite);
        Capsule c = capsules.get(id);
        if (!c.lock.tryLock()) throw HostErrors.invalidState("capsule " + id + " is busy with another operation");
        long t0 = System.nanoTime();
        try {
            CapsuleMeta meta = c.meta();
            Path state = builder.stagingStateFile();
            String newTop = DiskLayers.newLayerName();
            disks.createOverlay(c.dir, meta.topLayer(), newTop);
            if (meta.phase() == Phase.RUNNING) {
                Vm vm = c.vm();
                vm.stop();
                try {
                    vm.switchDisk(newTop);
                    c.save(meta.withTopLayer(newTop));
                    vm.save(state.toString(), true, STATE_TIMEOUT);
                } finally {
                    vm.cont();
                }
            } else if (meta.phase() == Phase.PAUSED && !meta.memory().stateHasRam()) {
                // device state alone plus the RAM file: already a template's format, no converter needed
                c.save(meta.withTopLayer(newTop));
                return builder.fromDeviceState(name, c.dir, meta, state.getParent());
            } else if (meta.phase() == Phase.PAUSED) {
                Files.createLink(state, c.dir.resolve(CapsuleMeta.STATE));
                c.save(meta.withTopLayer(newTop));
            } else {
                throw HostErrors.invalidState("capsule " + id + " is " + meta.phase().name().toLowerCase()
                        + "; only running or paused capsules can be snapshotted");
            }
            log.atInfo().addKeyValue("capsule", id).addKeyValue("template", name)
                    .addKeyValue("frozen_ms", (System.nanoTime() - t0) / 1_000_000).log("capsule state captured");
            return builder.fromFullState(name, state, c.dir, meta);
        } catch (IOException e) {
            throw HostErrors.io("could not snapshot capsule " + id, e);
        } finally {
            c.lock.unlock();
        }
    }

    // ---- the network ---------------------------------------------------------------------------

    private static CompletableFuture<Void> applyAsync(NetworkSlot slot, String id, NetworkPolicy policy) {
        if (slot == null) return CompletableFuture.completedFuture(null);
        slot.assign(id);
        return CompletableFuture.runAsync(() -> {
            try {
                slot.apply(policy);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
    }

    private static void awaitPolicy(CompletableFuture<Void> policy) throws IOException {
        try {
            policy.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof java.io.UncheckedIOException io) throw io.getCause();
            throw e;
        }
    }

    /** Changes what a running or paused capsule may reach: kept in its record, in force at once when running. */
    void setNetwork(String id, NetworkPolicy policy) {
        Capsule c = capsules.get(id);
        if (!c.lock.tryLock()) throw HostErrors.invalidState("capsule " + id + " is busy with another operation");
        try {
            Phase phase = c.meta().phase();
            if (phase != Phase.RUNNING && phase != Phase.PAUSED) {
                throw HostErrors.invalidState("capsule " + id + " is " + phase.name().toLowerCase()
                        + "; only a running or paused capsule's network can be changed");
            }
            NetworkSlot slot = c.slot();
            if (slot != null) slot.apply(policy);
            c.save(c.meta().withNetwork(StoredPolicy.of(policy)));
            log.atInfo().addKeyValue("capsule", id).addKeyValue("allow_internet", policy.allowInternet())
                    .addKeyValue("allow_out", policy.allowOut().size()).addKeyValue("deny_out", policy.denyOut().size())
                    .log("network policy changed");
        } catch (IOException e) {
            throw HostErrors.io("could not change the network of capsule " + id, e);
        } finally {
            c.lock.unlock();
        }
    }

    /** Where TCP {@code port} of a running capsule is reached from the host. */
    InetSocketAddress portAddress(String id, int port) {
        if (port < 1 || port > 65535) {
            throw HostErrors.invalidArgument("port " + port + " is not within 1..65535");
        }
        Capsule c = capsules.get(id);
        NetworkSlot slot = c.slot();
        if (c.meta().phase() != Phase.RUNNING || c.vm() == null) throw HostErrors.invalidState("capsule " + id + " is not running");
        if (slot == null) {
            throw HostErrors.invalidState("capsule " + id + " has no network (networking is off on this host, or it was saved"
                    + " with device layout " + c.meta().layout() + ", which has no network card)");
        }
        return slot.port(port);
    }

    // ---- the guest and the VM ------------------------------------------------------------------

    /** Notices the VM's end; one that nobody asked for moves the capsule to EXITED and tells the listeners. */
    void watch(Capsule c, Vm vm) {
        vm.exited().thenRunAsync(() -> onExit(c, vm), r -> Thread.ofVirtual().start(r));
    }

    private void onExit(Capsule c, Vm vm) {
        if (vm.exitExpected()) return;
        c.lock.lock();
        try {
            if (c.vm() != vm || vm.exitExpected()) return;
            String report = vm.exitReport();
            c.save(c.meta().exited(ExitCause.VM_EXITED, report));
            restorer.unplug(c.detach(HostError.VM_EXITED, "the VM of capsule " + c.id + " exited: " + report));
            log.atWarn().addKeyValue("capsule", c.id).log("VM exited on its own: {}", report);
        } finally {
            c.lock.unlock();
        }
        CapsuleState state = c.state();
        exitListeners.forEach(l -> l.accept(state));
    }
}
