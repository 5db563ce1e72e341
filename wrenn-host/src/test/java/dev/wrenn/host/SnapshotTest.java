package dev.wrenn.host;

import static dev.wrenn.host.CapsuleLifecycleTest.pidOfTag;
import static dev.wrenn.host.CapsuleLifecycleTest.startCounter;
import static dev.wrenn.host.CapsuleLifecycleTest.waitForCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.api.Phase;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.TemplateInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Capsules saved as templates, and capsules made from those templates. */
class SnapshotTest {
    private static HostAgent host;

    @BeforeAll
    static void up() {
        host = TestHost.agent();
    }

    @Test
    void runningCapsuleKeepsRunningAndItsCloneStartsWithItsProcessesAndFiles() throws Exception {
        String src = TestHost.create("minimal");
        String clone = null;
        try {
            TestHost.out(src, "echo before-snapshot > /root/note.txt");
            int pid = startCounter(host.guest(src)).pid();
            long seen = waitForCount(src, 2);

            TemplateInfo t = host.snapshot(src, "snap-running", false);
            assertFalse(t.builtIn());
            assertEquals(src, t.sourceCapsuleId());
            assertTrue(t.sizeBytes() > 0);

            assertEquals(Phase.RUNNING, host.capsule(src).orElseThrow().phase());
            assertEquals(pid, pidOfTag(host.guest(src), "counter"));
            waitForCount(src, seen + 2);
            TestHost.out(src, "echo after-snapshot > /root/note.txt");

            clone = TestHost.create("snap-running");
            assertEquals("before-snapshot", TestHost.out(clone, "cat /root/note.txt"));
            assertEquals(pid, pidOfTag(host.guest(clone), "counter"), "the clone lacks the source's process");
            waitForCount(clone, seen + 1);
            assertEquals("after-snapshot", TestHost.out(src, "cat /root/note.txt"));
            assertNotEquals(TestHost.out(src, "hostname"), TestHost.out(clone, "hostname"));
        } finally {
            host.destroy(src);
            if (clone != null) host.destroy(clone);
            host.deleteTemplate("snap-running");
        }
    }

    @Test
    void deletingATemplateNeverBreaksItsCapsules() throws Exception {
        String src = TestHost.create("minimal");
        TestHost.out(src, "echo kept > /root/kept.txt");
        host.snapshot(src, "snap-doomed", false);
        host.destroy(src);
        String clone = TestHost.create("snap-doomed");
        try {
            host.deleteTemplate("snap-doomed");
            assertTrue(host.template("snap-doomed").isEmpty());
            assertEquals("kept", TestHost.out(clone, "cat /root/kept.txt"));
            host.pause(clone);
            host.resume(clone);
            assertEquals("kept", TestHost.out(clone, "cat /root/kept.txt"));
            assertEquals(HostError.NOT_FOUND,
                    assertThrows(HostException.class, () -> host.create(TestHost.newId(), "snap-doomed", null, null)).error());
        } finally {
            host.destroy(clone);
        }
    }

    @Test
    void pausedCapsuleCanBeSnapshottedAndStaysPaused() throws Exception {
        String src = TestHost.create("minimal");
        String clone = null;
        try {
            TestHost.out(src, "echo paused-state > /root/p.txt");
            host.pause(src);
            host.snapshot(src, "snap-paused", false);
            assertEquals(Phase.PAUSED, host.capsule(src).orElseThrow().phase());
            clone = TestHost.create("snap-paused");
            assertEquals("paused-state", TestHost.out(clone, "cat /root/p.txt"));
            TestHost.out(clone, "echo clone-change > /root/p.txt");
            host.resume(src);
            assertEquals("paused-state", TestHost.out(src, "cat /root/p.txt"));
        } finally {
            host.destroy(src);
            if (clone != null) host.destroy(clone);
            host.deleteTemplate("snap-paused");
        }
    }

    @Test
    void capsulePausedOnItsOwnMemoryFileSnapshotsWithoutConversion() throws Exception {
        String src = TestHost.create("minimal");
        String clone = null;
        try {
            int pid = startCounter(host.guest(src)).pid();
            host.pause(src);
            host.resume(src);
            TestHost.out(src, "echo second-pause > /root/p.txt");
            host.pause(src);
            host.snapshot(src, "snap-own-ram", false);
            clone = TestHost.create("snap-own-ram");
            assertEquals("second-pause", TestHost.out(clone, "cat /root/p.txt"));
            assertEquals(pid, pidOfTag(host.guest(clone), "counter"));
            host.resume(src);
            assertEquals(pid, pidOfTag(host.guest(src), "counter"));
        } finally {
            host.destroy(src);
            if (clone != null) host.destroy(clone);
            host.deleteTemplate("snap-own-ram");
        }
    }

    @Test
    void templateNamesAreCheckedBeforeAnythingIsWritten() {
        String src = TestHost.create("minimal");
        try {
            assertEquals(HostError.NAME_RESERVED,
                    assertThrows(HostException.class, () -> host.snapshot(src, "minimal", true)).error());
            assertEquals(HostError.INVALID_ARGUMENT,
                    assertThrows(HostException.class, () -> host.snapshot(src, "../escape", false)).error());
            host.snapshot(src, "snap-taken", false);
            assertEquals(HostError.NAME_TAKEN,
                    assertThrows(HostException.class, () -> host.snapshot(src, "snap-taken", false)).error());
            host.snapshot(src, "snap-taken", true);
            assertEquals(HostError.BUILT_IN, assertThrows(HostException.class, () -> host.deleteTemplate("minimal")).error());
            assertFalse(host.templates().stream().anyMatch(t -> t.name().contains("@")));
        } finally {
            host.destroy(src);
            host.deleteTemplate("snap-taken");
        }
    }
}
