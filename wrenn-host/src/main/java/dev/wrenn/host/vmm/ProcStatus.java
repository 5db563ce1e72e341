package dev.wrenn.host.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's resident memory from {@code /proc/PID/status}, in KiB: anonymous pages, file-backed
 * ones (a VM's guest memory is a mapped file, so its touched pages count there) and shared memory.
 */
public record ProcStatus(long anonKib, long fileKib, long shmemKib) {
    static final ProcStatus GONE = new ProcStatus(0, 0, 0);

    /** The process's figures now; all 0 when it is gone. */
    public static ProcStatus read(long pid) {
        long anon = 0;
        long file = 0;
        long shmem = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("RssAnon:")) anon = kib(line);
                else if (line.startsWith("RssFile:")) file = kib(line);
                else if (line.startsWith("RssShmem:")) shmem = kib(line);
            }
        } catch (IOException | NumberFormatException e) {
            return GONE;
        }
        return new ProcStatus(anon, file, shmem);
    }

    /** All resident memory ({@code VmRSS}). */
    public long rssKib() {
        return anonKib + fileKib + shmemKib;
    }

    /**
     * Resident KiB of the file mappings of {@code pid} other than guest memory files ({@code *.ram}):
     * the VMM's program and libraries, which every VMM process shares.
     */
    public static long sharedCodeKib(long pid) {
        long kib = 0;
        boolean counting = false;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"))) {
                if (!line.isEmpty() && Character.digit(line.charAt(0), 16) >= 0 && line.contains("-")) {
                    String[] f = line.trim().split("\\s+");
                    counting = f.length >= 6 && f[5].startsWith("/") && !f[5].endsWith(".ram");
                } else if (counting && line.startsWith("Rss:")) {
                    kib += kib(line);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return kib;
    }

    public static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
