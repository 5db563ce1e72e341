package dev.wrenn.host.vmm;

import java.io.IOException;
import java.time.Duration;

/** Starts QEMU processes with one binary and one accelerator for the whole host. */
public record QemuDriver(String qemuBinary, Accelerator accelerator, Duration startTimeout) {
    public QemuVm launch(VmSpec spec) throws IOException {
        return QemuVm.launch(spec, qemuBinary, accelerator, startTimeout);
    }
}
