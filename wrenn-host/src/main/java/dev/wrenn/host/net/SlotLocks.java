package dev.wrenn.host.net;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Slot numbers are machine-wide (namespace and interface names, addresses): several host agents
 * on one machine each hold the slots they use by a lock on {@code /run/wrenn/net/slot-N.lock}. A
 * lock ends with the process that held it, so a crashed agent's slots become free to check.
 */
final class SlotLocks {
    private final Path dir;

    SlotLocks(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /** The lock on slot {@code index}, or empty when a live process (this one included) holds it. */
    Optional<FileLock> tryLock(int index) throws IOException {
        FileChannel ch = FileChannel.open(dir.resolve("slot-" + index + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        try {
            FileLock lock = ch.tryLock();
            if (lock != null) return Optional.of(lock);
        } catch (OverlappingFileLockException e) {
            // held by another host agent in this JVM
        }
        ch.close();
        return Optional.empty();
    }

    static void release(FileLock lock) {
        try {
            lock.channel().close();
        } catch (IOException e) {
            // closing the channel releases the lock; nothing to keep if that fails
        }
    }
}
