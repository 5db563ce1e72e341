package dev.wrenn.host.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The host's TSC rate, which the guest kernel must be told. Under TCG the guest TSC ticks at the
 * host's rate, and microvm offers only the PIT to calibrate it against; on a busy host that
 * calibration fails and the kernel stalls before /init. {@code tsc_early_khz} skips it.
 */
final class HostClock {
    private static final Optional<Long> TSC_KHZ = probe();

    private HostClock() {}

    static Optional<Long> tscKhz() {
        return TSC_KHZ;
    }

    /** The kernel reports BogoMIPS as twice the TSC rate in MHz when it uses the TSC for delays. */
    private static Optional<Long> probe() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("bogomips")) {
                    double bogomips = Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
                    return bogomips > 0 ? Optional.of(Math.round(bogomips * 500)) : Optional.empty();
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
