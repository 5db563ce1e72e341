package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.storage.FileOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The host's disk full at a pause or a snapshot, on a small ext4 file system made for the test:
 * the operation fails with DISK_FULL (507 through the API), the capsule runs on with its files, no
 * partial file is left; once there is room again the same pause works.
 */
class DiskFullTest {
    private static final String SIZE = "1200M";

    @Test
    void aPauseOrSnapshotOnAFullDiskFailsCleanlyAndTheCapsuleRunsOn() throws Exception {
        Path image = Files.createTempFile(Path.of("/tmp"), "wrenn-full-", ".img");
        Path mount = Files.createTempDirectory(Path.of("/tmp"), "wrenn-full-");
        run("truncate", "-s", SIZE, image.toString());
        run("mkfs.ext4", "-q", "-F", image.toString());
        run("mount", "-o", "loop", image.toString(), mount.toString());
        try {
            HostAgent host = HostAgent.start(TestHost.config(mount.resolve("data")).withWarmPool(0));
            String id = TestHost.newId();
            try {
                host.ensureBuiltIn(BuiltInTemplate.MINIMAL);
                host.create(id, "minimal", null, null);
                assertEquals(0, host.guest(id).run(dev.wrenn.host.api.ExecRequest.shell("echo kept > /root/mark").build()).exitCode());
                Path capsuleDir = host.capsuleDir(id);
                List<String> before = files(capsuleDir);
                Path filler = fill(mount);

                HostException pause = assertThrows(HostException.class, () -> host.pause(id));
                assertEquals(HostError.DISK_FULL, pause.error(), pause::toString);
                assertEquals(Phase.RUNNING, host.capsule(id).orElseThrow().phase(), "the capsule runs on");
                assertEquals(before, files(capsuleDir), "no partial pause file is left");

                HostException snapshot = assertThrows(HostException.class, () -> host.snapshot(id, "full", false));
                assertEquals(HostError.DISK_FULL, snapshot.error(), snapshot::toString);
                assertTrue(host.template("full").isEmpty(), "no template is recorded");
                assertEquals(Phase.RUNNING, host.capsule(id).orElseThrow().phase(), "the capsule runs on");
                assertEquals(before, files(capsuleDir), "no partial snapshot file is left");
                assertEquals(List.of(), files(mount.resolve("data/tmp")), "no partial template is left");

                // the guest's RAM is a file on this disk: the guest is not asked for work until there is room for it again
                Files.delete(filler);
                assertEquals("kept", mark(host, id), "the capsule ran on with its files");
                host.pause(id);
                host.resume(id);
                assertEquals("kept", mark(host, id), "with room again the pause and resume work");
            } finally {
                host.destroy(id);
                host.close();
            }
        } finally {
            run("umount", "-l", mount.toString());
            Files.deleteIfExists(image);
            FileOps.deleteTree(mount);
        }
    }

    private static String mark(HostAgent host, String id) {
        return host.guest(id).run(dev.wrenn.host.api.ExecRequest.shell("cat /root/mark").build()).stdoutText().strip();
    }

    /**
     * Takes every free block of the file system the test made. Delayed allocation reserves more
     * than it finally uses, so after each sync the last blocks it gave back are taken too.
     */
    private static Path fill(Path mount) throws IOException {
        Path filler = mount.resolve("filler");
        try (var out = java.nio.channels.FileChannel.open(filler, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.APPEND)) {
            for (int size : new int[] {1 << 20, 4096, 4096, 4096}) {
                java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(size);
                try {
                    while (true) {
                        out.write(chunk.clear());
                    }
                } catch (IOException full) {
                    if (!String.valueOf(full.getMessage()).contains("No space left")) throw full;
                }
                out.force(true);
            }
        }
        return filler;
    }

    /** The capsule's files (names), sorted. */
    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
}
