package dev.wrenn.host;

import dev.wrenn.host.vmm.VmSpec;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the per-VM log files bounded. The guest can write to its serial console as fast as it
 * likes, and QEMU appends every byte to console.log: untrimmed, a hostile guest fills the disk.
 * QEMU opens the file with O_APPEND, so truncating it under QEMU is safe.
 */
final class LogTrimmer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogTrimmer.class);
    static final long MAX_BYTES = 1 << 20;
    private static final Duration PERIOD = Duration.ofSeconds(5);

    private final Thread thread;

    LogTrimmer(Supplier<Stream<Path>> vmDirs) {
        this.thread = Thread.ofVirtual().name("log-trimmer").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(PERIOD);
                } catch (InterruptedException e) {
                    return;
                }
                vmDirs.get().forEach(LogTrimmer::trim);
            }
        });
    }

    static void trim(Path dir) {
        for (String name : new String[] {VmSpec.CONSOLE_LOG, VmSpec.VMM_LOG}) {
            Path f = dir.resolve(name);
            try {
                if (Files.exists(f) && Files.size(f) > MAX_BYTES) {
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                        ch.truncate(0);
                    }
                    log.atWarn().addKeyValue("vm_dir", dir.getFileName()).log("{} passed {} bytes and was truncated", name, MAX_BYTES);
                }
            } catch (IOException e) {
                // the VM may be going away right now; the next round looks again
            }
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
