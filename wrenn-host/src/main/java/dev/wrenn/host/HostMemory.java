package dev.wrenn.host;

import dev.wrenn.host.vmm.ProcStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host's memory as the kernel counts it ({@code /proc/meminfo}), in KiB.
 *
 * @param anonKib          anonymous pages of every process (VMMs and this JVM): without swap they stay
 * @param unreclaimableKib kernel memory and shared memory that no reclaim frees
 */
record HostMemory(long totalKib, long anonKib, long unreclaimableKib) {
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    static HostMemory read() {
        long total = 0;
        long anon = 0;
        long kernel = 0;
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                switch (line.substring(0, colon)) {
                    case "MemTotal" -> total = ProcStatus.kib(line);
                    case "AnonPages" -> anon = ProcStatus.kib(line);
                    case "Shmem", "SUnreclaim", "PageTables", "KernelStack" -> kernel += ProcStatus.kib(line);
                    default -> { }
                }
            }
        } catch (IOException | NumberFormatException e) {
            return new HostMemory(0, 0, 0);   // unknown: nothing counts as spare
        }
        return new HostMemory(total, anon, kernel);
    }
}
