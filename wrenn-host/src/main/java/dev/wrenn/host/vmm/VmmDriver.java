package dev.wrenn.host.vmm;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A VMM as the host agent uses it: starts VMs of a device layout, finds them again after a
 * restart, and says which layouts it can restore. QEMU's microvm is one implementation
 * (docs/runtime.md says how Firecracker would be the next).
 */
public interface VmmDriver {
    /** The layout new VMs get (templates built now, capsules created from them). */
    DeviceLayout currentLayout();

    /** Refuses, naming it, a layout this driver cannot start (another driver's, or an unknown version). */
    void requireSupported(DeviceLayout layout);

    /** {@code kvm} or {@code tcg}: how guest code runs. */
    String accelerator();

    /**
     * The VMM's build as it names itself (QEMU's {@code --version} line). A layout says which devices
     * a state needs; only the same build is sure to read the state those devices wrote.
     */
    String version() throws IOException;

    /** Starts a VM (stopped and waiting for a state when {@code spec.incoming()}). */
    Vm launch(VmSpec spec) throws IOException;

    /** The VM of {@code name} started earlier in {@code dir}, if it still runs. */
    Optional<Vm> attach(String name, Path dir, Duration timeout);

    /** Kills every VM process that runs in {@code dir} (left by a host agent that died mid-way); how many. */
    int killAllIn(Path dir);
}
