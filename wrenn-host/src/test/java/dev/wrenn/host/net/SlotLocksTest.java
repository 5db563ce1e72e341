package dev.wrenn.host.net;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slot locks hold across host agents on one machine: trying a slot this process holds (as the
 * stale-namespace sweep does) must not drop the kernel's lock, or another agent's sweep deletes
 * the namespaces of capsules that run.
 */
class SlotLocksTest {
    @Test
    void tryingAHeldSlotAgainKeepsTheLockUntilItIsReleased(@TempDir Path dir) throws IOException {
        SlotLocks locks = new SlotLocks(dir);
        FileLock held = locks.tryLock(7).orElseThrow();
        Path file = dir.resolve("slot-7.lock");
        assertTrue(locks.tryLock(7).isEmpty());
        assertTrue(new SlotLocks(dir).tryLock(7).isEmpty(), "another host agent in this JVM");
        assertTrue(lockedByThisProcess(file), "the kernel still holds the lock for other processes to see");

        SlotLocks.release(held);
        assertFalse(lockedByThisProcess(file));
        FileLock again = locks.tryLock(7).orElseThrow();
        assertTrue(lockedByThisProcess(file));
        SlotLocks.release(again);
    }

    /** Whether /proc/locks lists a POSIX write lock of this process on {@code file}. */
    private static boolean lockedByThisProcess(Path file) throws IOException {
        long inode = (Long) Files.getAttribute(file, "unix:ino");
        String pid = Long.toString(ProcessHandle.current().pid());
        return Files.readAllLines(Path.of("/proc/locks")).stream().map(l -> l.trim().split("\\s+"))
                .anyMatch(f -> f.length > 5 && f[1].equals("POSIX") && f[3].equals("WRITE") && f[4].equals(pid)
                        && f[5].endsWith(":" + inode));
    }
}
