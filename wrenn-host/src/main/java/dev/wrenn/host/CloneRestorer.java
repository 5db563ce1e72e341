package dev.wrenn.host;

import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.guest.GuestChannel;
import dev.wrenn.host.guest.GuestIdentity;
import dev.wrenn.host.net.NetworkSlot;
import dev.wrenn.host.net.NetworkSlots;
import dev.wrenn.host.storage.CapsuleMeta;
import dev.wrenn.host.storage.CapsuleMeta.Memory;
import dev.wrenn.host.storage.DiskLayers;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.StoredPolicy;
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
import java.util.Map;

/**
 * Brings a saved VM back to life: a template restored into a new clone (for a create or the warm
 * pool), and the guest of any restored VM woken with its identity.
 */
final class CloneRestorer implements WarmPool.Restorer {
    static final Duration STATE_TIMEOUT = Duration.ofSeconds(120);
    static final Duration THAW_TIMEOUT = Duration.ofSeconds(30);

    private final HostConfig config;
    private final VmmDriver vmm;
    private final DiskLayers disks;
    private final TemplateStore store;
    private final NetworkSlots network;

    /** {@code network} null: networking is off, network cards stay unplugged. */
    CloneRestorer(HostConfig config, VmmDriver vmm, DiskLayers disks, TemplateStore store, NetworkSlots network) {
        this.config = config;
        this.vmm = vmm;
        this.disks = disks;
        this.store = store;
        this.network = network;
    }

    /**
     * Restores a template into {@code dir} under VM name {@code vmName}: running on its own copy of
     * the template's RAM file (so every pause, the first included, saves device state alone and
     * flushes the pages that changed; docs/runtime.md "Memory"), guest connected, on the network
     * as {@code policy} allows from its first instruction on. {@code ahead}: made for the warm pool,
     * which has the time to write the RAM file to disk before the clone is offered.
     */
    Clone restore(TemplateMeta t, Path dir, String vmName, StepTimer timer, NetworkPolicy policy, boolean ahead)
            throws IOException {
        Path tdir = store.dir(t.name());
        DiskLayers.link(tdir, t.layers(), dir);
        DiskLayers.link(tdir, List.of(VmSpec.KERNEL, VmSpec.INITRD), dir);
        FileOps.linkOrCopy(tdir.resolve(TemplateMeta.STATE), dir.resolve(CapsuleMeta.TEMPLATE_STATE));
        String top = DiskLayers.newLayerName();
        timer.mark("link");
        Path memory = dir.resolve(CapsuleMeta.MEMORY);
        FileOps.copySparse(tdir.resolve(TemplateMeta.MEMORY), memory);
        // on disk before anyone can pause it, so a first pause flushes only what the guest changed;
        // a create waiting for its clone writes it back behind the answer instead
        if (ahead) FileOps.fsync(memory);
        timer.mark("memory");
        disks.createOverlay(dir, t.topLayer(), top);
        timer.mark("overlay");
        List<String> layers = new ArrayList<>(t.layers());
        layers.add(top);
        CapsuleMeta meta = new CapsuleMeta(vmName, t.name(), t.vcpus(), t.memoryMb(), layers, Memory.OWN_FILE, vmName,
                Instant.now(), Phase.RUNNING, null, vmName, null, t.layout(), null, null, false);
        NetworkSlot slot = plugIn(vmName, meta, policy);
        timer.mark("network");
        Vm vm = null;
        try {
            meta = meta.withNetSlot(slot == null ? null : slot.index());
            vm = vmm.launch(spec(vmName, dir, meta, new MemoryBacking.SharedFile(CapsuleMeta.MEMORY), slot));
            timer.mark("launch");
            vm.restore(CapsuleMeta.TEMPLATE_STATE, false, STATE_TIMEOUT);
            timer.mark("restore");
            Files.delete(dir.resolve(CapsuleMeta.TEMPLATE_STATE));
            vm.cont();
            if (!ahead) FileOps.writeBackInBackground(memory);
            return new Clone(dir, meta, vm, wakeGuest(vmName, vm, t.frozen(), identity(vmName, t.name()), timer), slot);
        } catch (IOException | RuntimeException e) {
            if (vm != null) vm.kill();
            unplug(slot);
            throw e;
        }
    }

    /**
     * A network slot for a VM of {@code meta}'s layout with {@code policy} in force; null when the
     * layout has no network card or networking is off.
     */
    NetworkSlot plugIn(String capsule, CapsuleMeta meta, NetworkPolicy policy) throws IOException {
        if (network == null || DeviceLayout.parse(meta.layout()).version() < 2) return null;
        return network.take(capsule, policy);
    }

    /** The network slot a running VM was left plugged into by an earlier host agent, taken over; null when none. */
    NetworkSlot adopt(String capsule, CapsuleMeta meta) {
        if (network == null || meta.netSlot() == null) return null;
        return network.adopt(meta.netSlot(), capsule, StoredPolicy.policy(meta.network())).orElse(null);
    }

    /** Lets a slot go once its VM has ended (null: nothing). */
    @Override
    public void unplug(NetworkSlot slot) {
        if (slot != null) network.release(slot);
    }

    /** Restores a template by name into a warm-pool directory (named like the VM). */
    @Override
    public Clone restore(String template, Path dir) throws IOException {
        TemplateMeta t = store.get(template).orElseThrow(() -> HostErrors.notFound("template " + template + " is gone"));
        return restore(t, dir, dir.getFileName().toString(), new StepTimer(), NetworkPolicy.DEFAULT, true);
    }

    /**
     * Connects to a restored guest; thaws its disks first when its state was saved {@code frozen}
     * (by a version that froze them); then gives it {@code identity} (id, hostname, clock, entropy,
     * MAC: a clone, new to the world) or, when null, the time alone (a resumed capsule, still who it was).
     */
    GuestChannel wakeGuest(String id, Vm vm, boolean frozen, GuestIdentity identity, StepTimer timer) {
        GuestChannel guest;
        try {
            guest = GuestChannel.connect(id, vm.guestSocket(), config.guestTimeout(), config.guestTimeout());
        } catch (IOException e) {
            throw HostErrors.io("could not connect to the guest of " + id, e);
        }
        timer.mark("hello");
        try {
            if (frozen) {
                // thaw first: until then any guest step that needs write access to the root mount blocks
                guest.thaw(THAW_TIMEOUT);
                timer.mark("thaw");
            }
            if (identity == null) {
                guest.setClock();
            } else {
                guest.init(identity);
            }
            timer.mark("init");
            return guest;
        } catch (RuntimeException e) {
            guest.close();
            throw e;
        }
    }

    /** Who a capsule's guest is told it is: its id is also its hostname. */
    static GuestIdentity identity(String id, String template) {
        return new GuestIdentity(id, id, Map.of("WRENN_TEMPLATE", template));
    }

    Vm launch(String vmName, Path dir, CapsuleMeta meta, MemoryBacking memory, NetworkSlot slot) throws IOException {
        return vmm.launch(spec(vmName, dir, meta, memory, slot));
    }

    private static VmSpec spec(String vmName, Path dir, CapsuleMeta meta, MemoryBacking memory, NetworkSlot slot) {
        // no slot: networking is off here (or the layout has no card, and the backend is not used)
        NicBackend nic = slot == null ? new NicBackend.Hub() : new NicBackend.Tap(slot.netns());
        return new VmSpec(vmName, dir, DeviceLayout.parse(meta.layout()), meta.vcpus(), meta.memoryMb(), memory,
                meta.topLayer(), nic, true);
    }
}
