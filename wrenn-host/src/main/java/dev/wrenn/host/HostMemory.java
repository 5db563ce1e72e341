package dev.wrenn.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's memory as the kernel counts it ({@code /proc/meminfo}), in KiB. */
record HostMemory(long totalKib, long availableKib) {
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    static HostMemory read() {
        long total = 0;
        long available = 0;
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("MemTotal:")) total = kib(line);
                else if (line.startsWith("MemAvailable:")) available = kib(line);
            }
        } catch (IOException | NumberFormatException e) {
            return new HostMemory(0, 0);   // unknown: nothing counts as spare
        }
        return new HostMemory(total, available);
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
