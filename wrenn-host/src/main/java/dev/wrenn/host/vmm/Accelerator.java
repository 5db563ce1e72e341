package dev.wrenn.host.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * How QEMU runs guest code. KVM only when the host CPU exposes hardware virtualisation: a
 * para-virtualised /dev/kvm (PVM, as on these build machines) accepts the ioctls but runs a stock
 * kernel about 1000x slower than TCG (shared/research/vm-feasibility.md §3).
 */
public enum Accelerator {
    KVM(List.of("-accel", "kvm", "-cpu", "host")),
    TCG(List.of("-accel", "tcg,tb-size=" + Accelerator.TCG_CODE_BUFFER_MB, "-cpu", "max"));

    /**
     * The buffer of translated guest code, in MiB (QEMU's default is 1 GiB): it grows with the code a
     * guest runs, and it is the part of a VM's memory beyond the guest's that is not otherwise bounded.
     */
    public static final int TCG_CODE_BUFFER_MB = 256;

    private final List<String> qemuArgs;

    Accelerator(List<String> qemuArgs) {
        this.qemuArgs = qemuArgs;
    }

    public List<String> qemuArgs() {
        return qemuArgs;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code override} ("kvm", "tcg", or null/"auto") wins; otherwise probe the host once. */
    public static Accelerator choose(String override) {
        if (override != null && !override.isBlank() && !override.equalsIgnoreCase("auto")) {
            try {
                return valueOf(override.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown accelerator '" + override + "' (kvm, tcg or auto)");
            }
        }
        return kvmRunsStandardGuests() ? KVM : TCG;
    }

    private static boolean kvmRunsStandardGuests() {
        Path kvm = Path.of("/dev/kvm");
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) return false;
        try {
            if (Files.exists(Path.of("/sys/module/kvm_pvm"))) return false;
            String cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
            return cpuinfo.contains(" vmx") || cpuinfo.contains(" svm");
        } catch (IOException e) {
            return false;
        }
    }
}
