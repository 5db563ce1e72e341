package dev.wrenn.host.vmm;

import dev.wrenn.host.cgroup.VmCgroups;
import dev.wrenn.host.storage.Commands;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * QEMU's {@code microvm} machine: one binary and one accelerator for the whole host.
 * Layout 1: serial console, virtio-serial (the guest agent's port), virtio-blk.
 * Layout 2: layout 1 and a virtio-net card (docs/network.md).
 * Layout 3: layout 2 without the legacy PIT, whose square wave (left running by the firmware) woke
 * QEMU every 27 ms for nothing in every idle VM (docs/runtime.md "Idle capsules").
 *
 * @param currentLayout the layout new templates get: {@link #LAYOUT_3}; tests of upgrades start an older one
 * @param cgroups       where each QEMU is put, with the limits of its VM's size
 */
public record QemuDriver(String qemuBinary, Accelerator accel, Duration startTimeout, DeviceLayout currentLayout,
                         VmCgroups cgroups) implements VmmDriver {
    static final String NAME = "qemu-microvm";
    public static final DeviceLayout LAYOUT_1 = new DeviceLayout(NAME, 1);
    public static final DeviceLayout LAYOUT_3 = new DeviceLayout(NAME, 3);

    public QemuDriver {
        requireSupported(currentLayout);
    }

    @Override
    public void requireSupported(DeviceLayout layout) {
        if (!layout.driver().equals(NAME) || layout.version() < 1 || layout.version() > LAYOUT_3.version()) {
            throw new UnsupportedLayoutException("device layout " + layout + " is not one this host's VMM (" + NAME
                    + ", layouts " + LAYOUT_1 + " to " + LAYOUT_3 + ") can start");
        }
    }

    @Override
    public String accelerator() {
        return accel.label();
    }

    @Override
    public String version() throws IOException {
        return Commands.run(null, qemuBinary, "--version").lines().findFirst().orElse("").strip();
    }

    @Override
    public Vm launch(VmSpec spec) throws IOException {
        requireSupported(spec.layout());
        return QemuVm.launch(spec, qemuBinary, accel, startTimeout, cgroups);
    }

    @Override
    public Optional<Vm> attach(String name, Path dir, Duration timeout) {
        return QemuVm.attach(name, dir, timeout).map(vm -> vm);
    }

    @Override
    public int killAllIn(Path dir) {
        return QemuVm.killAllIn(dir);
    }
}
