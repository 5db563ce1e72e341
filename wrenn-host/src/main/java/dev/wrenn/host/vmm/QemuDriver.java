package dev.wrenn.host.vmm;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * QEMU's {@code microvm} machine: one binary and one accelerator for the whole host.
 * Layout 1: serial console, virtio-serial (the guest agent's port), virtio-blk.
 */
public record QemuDriver(String qemuBinary, Accelerator accel, Duration startTimeout) implements VmmDriver {
    static final String NAME = "qemu-microvm";
    static final DeviceLayout LAYOUT_1 = new DeviceLayout(NAME, 1);

    @Override
    public DeviceLayout currentLayout() {
        return LAYOUT_1;
    }

    @Override
    public void requireSupported(DeviceLayout layout) {
        if (!layout.equals(LAYOUT_1)) {
            throw new UnsupportedLayoutException("device layout " + layout + " is not one this host's VMM (" + NAME
                    + ", layout " + LAYOUT_1 + ") can start");
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
