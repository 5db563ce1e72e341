package dev.wrenn.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host's memory as the kernel counts it ({@code /proc/meminfo}), in KiB.
 *
 * @param availableKib what the kernel estimates it can hand out without swapping, page cache included
 * @param mappedKib    file pages mapped into processes: a VM's guest memory is a mapped file, so
 *                     these are counted as available although reclaiming them means paging guests
 */
record HostMemory(long totalKib, long availableKib, long mappedKib) {
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    static HostMemory read() {
        long total = 0;
        long available = 0;
        long mapped = 0;
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("MemTotal:")) total = kib(line);
                else if (line.startsWith("MemAvailable:")) available = kib(line);
                else if (line.startsWith("Mapped:")) mapped = kib(line);
            }
        } catch (IOException | NumberFormatException e) {
            return new HostMemory(0, 0, 0);   // unknown: nothing counts as spare
        }
        return new HostMemory(total, available, mapped);
    }

    /** Memory a new VM can take without the kernel reclaiming pages someone is using. */
    long freeKib() {
        return Math.max(0, availableKib - mappedKib);
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
