package dev.wrenn.host.net;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slot numbers are machine-wide (namespace and interface names, addresses): several host agents
 * on one machine each hold the slots they use by a lock on {@code /run/wrenn/net/slot-N.lock}. A
 * lock ends with the process that held it, so a crashed agent's slots become free to check.
 *
 * <p>The locks are POSIX record locks, which belong to the process, and closing any descriptor of
 * a locked file drops the process's lock on it. So a slot this process holds is never opened a
 * second time here: trying it again (the stale-namespace sweep does) would release it for others.
 */
final class SlotLocks {
    /** The lock files this process holds, with the channel holding each. */
    private static final Map<Path, FileChannel> HELD = new ConcurrentHashMap<>();

    private final Path dir;

    SlotLocks(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    /** The lock on slot {@code index}, or empty when a live process (this one included) holds it. */
    Optional<FileLock> tryLock(int index) throws IOException {
        Path file = dir.resolve("slot-" + index + ".lock");
        FileChannel[] opened = new FileChannel[1];
        FileLock[] locked = new FileLock[1];
        IOException[] failed = new IOException[1];
        HELD.computeIfAbsent(file, f -> {
            try {
                opened[0] = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                locked[0] = opened[0].tryLock();
            } catch (IOException e) {
                failed[0] = e;
            } catch (OverlappingFileLockException e) {
                // cannot happen while HELD guards every lock of this process; treated as held
            }
            if (locked[0] != null) return opened[0];
            closeQuietly(opened[0]);   // nothing of this process was locked on it: closing drops no lock
            return null;
        });
        if (failed[0] != null) throw failed[0];
        return Optional.ofNullable(locked[0]);
    }

    static void release(FileLock lock) {
        HELD.values().remove(lock.channel());
        closeQuietly(lock.channel());
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException e) {
            // closing the channel releases the lock; nothing to keep if that fails
        }
    }
}
