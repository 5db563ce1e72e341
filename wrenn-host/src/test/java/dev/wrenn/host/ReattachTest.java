package dev.wrenn.host;

import static dev.wrenn.host.CapsuleLifecycleTest.pidOfTag;
import static dev.wrenn.host.CapsuleLifecycleTest.startCounter;
import static dev.wrenn.host.CapsuleLifecycleTest.waitForCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.Phase;
import org.junit.jupiter.api.Test;

/** A host agent that restarts finds its VMs again; they never noticed. */
class ReattachTest {
    @Test
    void restartedHostAgentReattachesToRunningAndPausedCapsules() throws Exception {
        HostAgent host = TestHost.agent();
        String running = TestHost.create("minimal");
        String paused = TestHost.create("minimal");
        try {
            int pid = startCounter(host.guest(running)).pid();
            long seen = waitForCount(running, 2);
            long vmmPid = host.vmmPid(running);
            TestHost.out(paused, "echo still-here > /root/p.txt");
            host.pause(paused);

            host = TestHost.restart();

            CapsuleState info = host.capsule(running).orElseThrow();
            assertEquals(Phase.RUNNING, info.phase());
            assertEquals(vmmPid, host.vmmPid(running), "the VM was restarted instead of reattached");
            assertEquals(pid, pidOfTag(host.guest(running), "counter"));
            assertTrue(waitForCount(running, seen + 2) > seen);
            assertEquals(Phase.PAUSED, host.capsule(paused).orElseThrow().phase());
            host.resume(paused);
            assertEquals("still-here", TestHost.out(paused, "cat /root/p.txt"));
        } finally {
            host.destroy(running);
            host.destroy(paused);
        }
    }
}
