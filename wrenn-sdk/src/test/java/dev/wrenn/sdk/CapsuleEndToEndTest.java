package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Capsule handle, its commands and files, against the real server with real capsules. */
class CapsuleEndToEndTest extends OneCapsuleTest {
    @Test
    void closingAHandleDestroysItsCapsule() {
        String id;
        try (Capsule ephemeral = Capsule.create(client, CreateCapsuleParams.defaults(), true)) {
            id = ephemeral.id();
            assertEquals(CapsuleStatus.RUNNING, ephemeral.status());
            assertEquals("hi\n", ephemeral.commands().run("echo hi").stdout());
        }
        assertEquals(CapsuleStatus.STOPPED, client.capsules().get(id).status());
    }

    @Test
    void aShellLineGivesItsOutputAndExitCode() {
        CommandResult r = capsule.commands().run("echo out; echo err >&2; exit 3");
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertEquals(3, r.exitCode());
        assertFalse(r.isSuccess());
        assertFalse(r.timedOut());
        assertTrue(capsule.commands().run("true").isSuccess());
    }

    @Test
    void environmentWorkingDirectoryAndStdinApply() {
        RunOptions o = RunOptions.builder().env("GREETING", "hello there").cwd("/tmp").stdin("from stdin").build();
        CommandResult r = capsule.commands().run("echo \"$GREETING\"; pwd; cat", o);
        assertEquals("hello there\n/tmp\nfrom stdin", r.stdout());
    }

    @Test
    void argvRunsWithoutAShellSoNothingNeedsQuoting() {
        CommandResult r = capsule.commands().run(List.of("printf", "%s|", "a b", "$HOME", "'q'"), RunOptions.defaults());
        assertEquals("a b|$HOME|'q'|", r.stdout());
    }

    @Test
    void aCommandOverItsTimeoutIsKilledAndSaysSo() {
        long t0 = System.nanoTime();
        CommandResult r = capsule.commands().run("echo started; sleep 30", RunOptions.builder().timeout(Duration.ofSeconds(1)).build());
        assertTrue(r.timedOut());
        assertEquals(124, r.exitCode());
        assertEquals("started\n", r.stdout(), "the output so far is kept");
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
    }

    @Test
    void binaryOutputArrivesAsExactBytes() {
        CommandResult r = capsule.commands().run("printf '\\377\\000\\001'");
        assertEquals("base64", r.encoding());
        assertArrayEquals(new byte[] {(byte) 0xff, 0, 1}, r.stdoutBytes());
    }

    @Test
    void backgroundCommandsAreListedAndKilledByTag() {
        ProcessInfo p = capsule.commands().runInBackground("sleep 300", RunOptions.builder().tag("sleeper").build());
        assertEquals("sleeper", p.tag());
        assertTrue(p.pid() > 1);
        assertTrue(capsule.commands().list().stream().anyMatch(x -> x.pid() == p.pid() && "sleeper".equals(x.tag())));
        capsule.commands().kill("sleeper");
        assertTrue(capsule.commands().list().stream().noneMatch(x -> x.pid() == p.pid()));
        assertThrows(WrennNotFoundException.class, () -> capsule.commands().kill("sleeper"));

        ProcessInfo trapping = capsule.commands().runInBackground("trap 'echo got-term > /tmp/term; exit 0' TERM; "
                + "touch /tmp/trap-set; while true; do sleep 0.1; done", RunOptions.defaults());
        capsule.commands().run("while [ ! -e /tmp/trap-set ]; do sleep 0.05; done"); // a signal before the trap would just kill it
        capsule.commands().kill(Integer.toString(trapping.pid()), "SIGTERM");
        assertEquals("got-term\n", capsule.commands().run("sleep 0.5; cat /tmp/term").stdout(), "the signal asked for was sent");
    }

    @Test
    void filesAreWrittenReadListedAndRemoved(@TempDir Path local) throws Exception {
        CapsuleFiles files = capsule.files();
        files.write("/tmp/sdk/notes/hello.txt", "héllo\n");
        assertEquals("héllo\n", files.read("/tmp/sdk/notes/hello.txt"));

        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) all[i] = (byte) i;
        files.write("/tmp/sdk/bytes.bin", all);
        assertArrayEquals(all, files.readBytes("/tmp/sdk/bytes.bin"));

        Path big = local.resolve("big.bin");
        byte[] mib = new byte[3 << 20];
        new java.util.Random(7).nextBytes(mib);
        Files.write(big, mib);
        files.upload("/tmp/sdk/big.bin", big);
        assertArrayEquals(mib, files.readBytes("/tmp/sdk/big.bin"));

        FileEntry dir = files.makeDir("/tmp/sdk/made/deep");
        assertTrue(dir.isDirectory());
        assertEquals("/tmp/sdk/made/deep", dir.path());
        assertEquals("conflict", assertThrows(WrennConflictException.class, () -> files.makeDir("/tmp/sdk/made/deep")).code());

        List<FileEntry> entries = files.list("/tmp/sdk");
        assertEquals(List.of("big.bin", "bytes.bin", "made", "notes"), entries.stream().map(FileEntry::name).toList());
        FileEntry bin = entries.get(1);
        assertTrue(bin.isFile());
        assertEquals(256, bin.size());
        assertTrue(Duration.between(bin.modifiedAt(), java.time.Instant.now()).abs().toMinutes() < 10,
                "modified_at (Unix seconds on the wire) is now: " + bin.modifiedAt());
        assertEquals("/tmp/sdk/notes/hello.txt", files.list("/tmp/sdk", 2).stream()
                .filter(e -> e.name().equals("hello.txt")).findFirst().orElseThrow().path());

        assertTrue(files.exists("/tmp/sdk/bytes.bin"));
        assertTrue(files.exists("/tmp/sdk/made/"));
        assertTrue(files.exists("/"));
        assertFalse(files.exists("/tmp/sdk/nope"));
        assertFalse(files.exists("/tmp/no-dir/nope"));
        assertFalse(files.exists("/tmp/sdk/bytes.bin/below-a-file"));

        files.remove("/tmp/sdk");
        assertFalse(files.exists("/tmp/sdk"));
        assertThrows(WrennNotFoundException.class, () -> files.read("/tmp/sdk/bytes.bin"));
    }

    @Test
    void pauseAndConnectKeepProcessesAndFiles() {
        try (Capsule c = Capsule.create(client, CreateCapsuleParams.defaults(), true)) {
            c.files().write("/root/state.txt", "before pause");
            ProcessInfo counter = c.commands().runInBackground("i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done",
                    RunOptions.builder().tag("counter").build());

            assertEquals(CapsuleStatus.PAUSED, c.pause().status());
            assertEquals(CapsuleStatus.PAUSED, c.status());
            assertThrows(WrennConflictException.class, () -> c.commands().run("true"), "a paused capsule runs nothing");

            Capsule again = Capsule.connect(client, c.id());
            assertEquals(CapsuleStatus.RUNNING, again.status(), "connect resumes a paused capsule");
            assertEquals("before pause", again.files().read("/root/state.txt"));
            assertTrue(again.commands().list().stream().anyMatch(p -> p.pid() == counter.pid()), "the process survived");
            int n1 = Integer.parseInt(again.commands().run("cat /tmp/count").stdout().strip());
            again.commands().run("sleep 1");
            int n2 = Integer.parseInt(again.commands().run("cat /tmp/count").stdout().strip());
            assertTrue(n2 > n1, "the process goes on counting: " + n1 + " then " + n2);

            c.pause();
            assertEquals(CapsuleStatus.RUNNING, c.resume().status());
            c.ping();
            assertEquals(CapsuleStatus.RUNNING, c.waitUntilRunning(Duration.ofSeconds(5)).status());
        }
    }

    @Test
    void connectingToAStoppedCapsuleFailsSayingSo() {
        Capsule doomed = Capsule.create(client, CreateCapsuleParams.defaults(), false);
        String id = doomed.id();
        doomed.destroy();
        doomed.close(); // after destroy(), close() has nothing left to do
        WrennCapsuleStateException e = assertThrows(WrennCapsuleStateException.class, () -> Capsule.connect(client, id));
        assertEquals(CapsuleStatus.STOPPED, e.capsule().status());
        assertTrue(e.getMessage().contains(id + " is stopped"), e.getMessage());
    }
}
