package dev.wrenn.host;

import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.guest.GuestChannel;
import dev.wrenn.host.net.NetworkSlot;
import dev.wrenn.host.storage.CapsuleMeta;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.vmm.Vm;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The host's live view of one capsule: its directory, its record, and while running its VMM and
 * guest channel. One lifecycle operation at a time holds {@link #lock}.
 */
final class Capsule {
    final String id;
    final Path dir;
    final ReentrantLock lock = new ReentrantLock();
    private volatile CapsuleMeta meta;
    private volatile Vm vm;
    private volatile GuestChannel guest;
    private volatile NetworkSlot slot;

    Capsule(String id, Path dir, CapsuleMeta meta) {
        this.id = id;
        this.dir = dir;
        this.meta = meta;
    }

    CapsuleMeta meta() {
        return meta;
    }

    /** Persists the record first, then shows it: a crash leaves the file as the truth. */
    void save(CapsuleMeta next) {
        FileOps.writeJsonAtomically(dir.resolve(CapsuleMeta.FILE), next);
        this.meta = next;
    }

    Vm vm() {
        return vm;
    }

    GuestChannel guest() {
        return guest;
    }

    /** The network its VM is plugged into (null: none). */
    NetworkSlot slot() {
        return slot;
    }

    void attach(Vm vm, GuestChannel guest, NetworkSlot slot) {
        this.vm = vm;
        this.guest = guest;
        this.slot = slot;
    }

    /**
     * Drops the VMM, channel and network handles (the VM has gone or is being let go); calls and
     * streams still waiting on the guest fail with {@code why}. Returns the network slot, which the
     * caller tears down or, when the VM runs on, lets go.
     */
    NetworkSlot detach(HostError why, String message) {
        GuestChannel g = guest;
        Vm v = vm;
        NetworkSlot s = slot;
        guest = null;
        vm = null;
        slot = null;
        if (g != null) g.close(why, message);
        if (v != null) v.close();
        return s;
    }

    long vmmPid() {
        Vm v = vm;
        return v == null ? 0 : v.pid();
    }

    CapsuleState state() {
        CapsuleMeta m = meta;
        return new CapsuleState(id, m.template(), m.phase(), m.vcpus(), m.memoryMb(), m.exitCause(), m.exitReason());
    }
}
