package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.ProcessInfo;
import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.ExitCause;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.TemplateMeta;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real capsules under QEMU: exec, pause/resume, clones, destroy, VM death, big files, sizes. */
class CapsuleLifecycleTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static HostAgent host;

    @BeforeAll
    static void up() {
        host = TestHost.agent();
    }

    @Test
    void capsuleFromTemplateRunsCommandsWithSeparateStreamsAndExitCodes() {
        String id = TestHost.create("minimal");
        try {
            ExecResult r = TestHost.sh(id, "echo out; echo err >&2; exit 3");
            assertEquals("out\n", r.stdoutText());
            assertEquals("err\n", r.stderrText());
            assertEquals(3, r.exitCode());
            assertEquals(id, TestHost.out(id, "hostname"));
            assertEquals(id, TestHost.out(id, "echo $WRENN_CAPSULE_ID"));
            Guest g = host.guest(id);
            ExecResult withEnv = g.run(ExecRequest.command("sh", "-c", "pwd; echo $GREETING; cat")
                    .cwd("/tmp").env("GREETING", "hi").stdin("from stdin".getBytes()).build());
            assertEquals("/tmp\nhi\nfrom stdin", withEnv.stdoutText());
            ExecResult slow = g.run(ExecRequest.command("sleep", "30").timeout(Duration.ofMillis(300)).build());
            assertTrue(slow.timedOut());
            assertEquals(124, slow.exitCode());
            HostException missing = assertThrows(HostException.class,
                    () -> g.run(ExecRequest.command("no-such-program").build()));
            assertEquals(HostError.NOT_FOUND, missing.error());
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void pauseLeavesOnlyFilesAndResumeContinuesTheSameProcessWithIdenticalFiles() throws Exception {
        String id = TestHost.create("minimal");
        try {
            Guest g = host.guest(id);
            byte[] onDisk = random(200_000);
            byte[] inTmpfs = random(100_000);
            g.writeFile("/root/disk.bin", onDisk);
            g.writeFile("/tmp/mem.bin", inTmpfs);
            ProcessInfo counter = startCounter(g);
            long before = waitForCount(id, 3);
            long vmmPid = host.vmmPid(id);

            CapsuleState paused = host.pause(id);
            assertEquals(Phase.PAUSED, paused.phase());
            assertEquals(0, host.vmmPid(id));
            assertFalse(ProcessHandle.of(vmmPid).map(ProcessHandle::isAlive).orElse(false), "VMM still running after pause");
            assertTrue(Files.exists(host.capsuleDir(id).resolve("state")), "no state file after pause");
            assertEquals(HostError.INVALID_STATE, assertThrows(HostException.class, () -> host.guest(id)).error());

            host.resume(id);
            assertEquals(Phase.RUNNING, host.capsule(id).orElseThrow().phase());
            Guest g2 = host.guest(id);
            assertEquals(counter.pid(), pidOfTag(g2, "counter"), "the counter is not the same process");
            long after = waitForCount(id, before + 3);
            assertTrue(after > before);
            assertArrayEquals(onDisk, g2.readFile("/root/disk.bin"));
            assertArrayEquals(inTmpfs, g2.readFile("/tmp/mem.bin"));
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void twentyPauseResumeCyclesEachKeepProcessesAndFiles() throws Exception {
        String id = TestHost.create("minimal");
        try {
            Guest g = host.guest(id);
            int pid = startCounter(g).pid();
            long last = waitForCount(id, 1);
            for (int cycle = 1; cycle <= 20; cycle++) {
                byte[] data = random(4096 + cycle);
                host.guest(id).writeFile("/root/cycle.bin", data);
                host.pause(id);
                host.resume(id);
                Guest now = host.guest(id);
                assertEquals(pid, pidOfTag(now, "counter"), "cycle " + cycle + ": counter process changed");
                assertArrayEquals(data, now.readFile("/root/cycle.bin"), "cycle " + cycle + ": file changed");
                long count = waitForCount(id, last + 1);
                assertTrue(count > last, "cycle " + cycle + ": counter did not go on");
                last = count;
            }
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void twoCapsulesFromOneTemplateAreIndependentAndTheTemplateStaysUnchanged() throws Exception {
        var tdir = host.capsuleDir(TestHost.newId()).getParent().getParent().resolve("templates/minimal");
        var template = FileOps.readJson(tdir.resolve(TemplateMeta.FILE), TemplateMeta.class);
        String memBefore = sha256(tdir.resolve("memory.ram"));
        String topBefore = sha256(tdir.resolve(template.topLayer()));
        String a = TestHost.create("minimal");
        String b = TestHost.create("minimal");
        try {
            assertNotEquals(TestHost.out(a, "hostname"), TestHost.out(b, "hostname"));
            String randA = TestHost.out(a, "head -c 32 /dev/urandom | od -An -tx1");
            String randB = TestHost.out(b, "head -c 32 /dev/urandom | od -An -tx1");
            assertNotEquals(randA, randB, "clones share their random number state");
            TestHost.out(a, "echo only-in-a > /root/mine.txt; sync");
            assertEquals("only-in-a", TestHost.out(a, "cat /root/mine.txt"));
            assertEquals(1, TestHost.sh(b, "test -e /root/mine.txt").exitCode(), "a file of one clone shows up in the other");
        } finally {
            host.destroy(a);
            host.destroy(b);
        }
        assertEquals(memBefore, sha256(tdir.resolve("memory.ram")), "template memory changed");
        assertEquals(topBefore, sha256(tdir.resolve(template.topLayer())), "template disk changed");
    }

    @Test
    void destroyLeavesNoProcessAndNoFile() {
        String id = TestHost.create("minimal");
        long pid = host.vmmPid(id);
        host.destroy(id);
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "VMM survived destroy");
        assertFalse(Files.exists(host.capsuleDir(id)), "capsule files survived destroy");
        assertTrue(host.capsule(id).isEmpty());
        host.destroy(id); // destroying again is a no-op
    }

    @Test
    void killedVmmIsNoticedWithAReason() throws Exception {
        String id = TestHost.create("minimal");
        CompletableFuture<CapsuleState> exited = new CompletableFuture<>();
        host.onVmExit(info -> {
            if (info.id().equals(id)) exited.complete(info);
        });
        long pid = host.vmmPid(id);
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        CapsuleState info = exited.get(5, TimeUnit.SECONDS);
        assertEquals(Phase.EXITED, info.phase());
        assertEquals(ExitCause.VM_EXITED, info.exitCause(), info.exitDetail());
        assertEquals(Phase.EXITED, host.capsule(id).orElseThrow().phase());
        host.destroy(id);
    }

    @Test
    void fiftyMebibyteBinaryFileRoundTripsIntact() throws Exception {
        String id = TestHost.create("minimal");
        try {
            Guest g = host.guest(id);
            byte[] data = random(50 << 20);
            g.writeFile("/root/big.bin", new ByteArrayInputStream(data), 0600);
            assertEquals(sha256(data), TestHost.out(id, "sha256sum /root/big.bin | cut -d' ' -f1"));
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            assertEquals(data.length, g.readFile("/root/big.bin", back));
            assertArrayEquals(data, back.toByteArray());
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void vcpusAndMemoryOfACapsuleAreHonoured() {
        String id = TestHost.newId();
        host.create(id, "minimal", 2, 1024);
        try {
            assertEquals("2", TestHost.out(id, "nproc"));
            long memKb = Long.parseLong(TestHost.out(id, "awk '/MemTotal/{print $2}' /proc/meminfo"));
            assertTrue(memKb > 900_000 && memKb <= 1024 * 1024, "MemTotal " + memKb + " kB for a 1024 MiB capsule");
        } finally {
            host.destroy(id);
        }
    }

    // ---- helpers ----

    static ProcessInfo startCounter(Guest g) {
        return g.startBackground(ExecRequest.shell("i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done")
                .background("counter").timeout(Duration.ZERO).build());
    }

    static int pidOfTag(Guest g, String tag) {
        return g.processes().stream().filter(p -> tag.equals(p.tag())).findFirst()
                .orElseThrow(() -> new AssertionError("no process tagged " + tag)).pid();
    }

    /** Waits (bounded) until the counter file reaches {@code atLeast}; returns the value seen. */
    static long waitForCount(String id, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long seen = -1;
        while (System.nanoTime() < deadline) {
            String v = TestHost.sh(id, "cat /tmp/count 2>/dev/null").stdoutText().strip();
            if (!v.isEmpty()) seen = Long.parseLong(v);
            if (seen >= atLeast) return seen;
            Thread.sleep(50);
        }
        throw new AssertionError("counter reached " + seen + ", expected at least " + atLeast);
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static String sha256(java.nio.file.Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
