package dev.wrenn.host.vmm;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * QEMU's {@code microvm} machine: one binary and one accelerator for the whole host.
 * Layout 1: serial console, virtio-serial (the guest agent's port), virtio-blk.
 * Layout 2: layout 1 and a virtio-net card (docs/network.md).
 *
 * @param currentLayout the layout new templates get: {@link #LAYOUT_2}; tests of upgrades start an older one
 */
public record QemuDriver(String qemuBinary, Accelerator accel, Duration startTimeout, DeviceLayout currentLayout)
        implements VmmDriver {
    static final String NAME = "qemu-microvm";
    public static final DeviceLayout LAYOUT_1 = new DeviceLayout(NAME, 1);
    public static final DeviceLayout LAYOUT_2 = new DeviceLayout(NAME, 2);

    public QemuDriver {
        requireSupported(currentLayout);
    }

    @Override
    public void requireSupported(DeviceLayout layout) {
        if (!layout.equals(LAYOUT_1) && !layout.equals(LAYOUT_2)) {
            throw new UnsupportedLayoutException("device layout " + layout + " is not one this host's VMM (" + NAME
                    + ", layouts " + LAYOUT_1 + " and " + LAYOUT_2 + ") can start");
        }
    }

    @Override
    public String accelerator() {
        return accel.label();
    }

    @Override
    public Vm launch(VmSpec spec) throws IOException {
        requireSupported(spec.layout());
        return QemuVm.launch(spec, qemuBinary, accel, startTimeout);
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
