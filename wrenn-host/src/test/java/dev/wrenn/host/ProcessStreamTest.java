package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessEvent.Source;
import dev.wrenn.host.api.ProcessStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Process streams through the host boundary against real capsules and the real guest agent:
 * attach with replay, detached processes and terminals that survive their stream, a host-agent
 * restart and a pause, and the stream of a paused capsule ending with its own error.
 */
class ProcessStreamTest {
    private static HostAgent host;

    @BeforeAll
    static void up() {
        host = TestHost.agent();
    }

    /** Output until {@code marker} has been seen (bounded by the process: a test's commands end or print it). */
    static String readUntil(ProcessStream s, String marker) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (!out.toString(StandardCharsets.UTF_8).contains(marker)) {
            ProcessEvent e = s.next();
            if (e instanceof ProcessEvent.Output o) out.writeBytes(o.data());
            else throw new AssertionError("ended before '" + marker + "': " + e + "; output: " + out);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static ProcessEvent.Exited drain(ProcessStream s, StringBuilder replayed, StringBuilder live) {
        while (true) {
            ProcessEvent e = s.next();
            if (e instanceof ProcessEvent.Exited x) return x;
            ProcessEvent.Output o = (ProcessEvent.Output) e;
            (o.source() == Source.REPLAY ? replayed : live).append(new String(o.data(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void anAttachReplaysEarlierOutputThenFollowsLiveOutputToTheExit() {
        String id = TestHost.create("minimal");
        try {
            Guest g = host.guest(id);
            try (ProcessStream owner = g.start(ExecRequest.shell("echo before; read line; echo after-$line; exit 5")
                    .timeout(Duration.ZERO).build())) {
                readUntil(owner, "before");
                try (ProcessStream viewer = g.attach(Integer.toString(owner.pid()), true)) {
                    assertEquals(owner.pid(), viewer.pid());
                    owner.write("go\n".getBytes());
                    StringBuilder replayed = new StringBuilder();
                    StringBuilder live = new StringBuilder();
                    assertEquals(5, drain(viewer, replayed, live).exitCode());
                    assertEquals("before\n", replayed.toString());
                    assertEquals("after-go\n", live.toString());
                }
            }
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void aDetachedProcessOutlivesItsStreamAndItsUnseenExitIsKeptForOneAttach() {
        String id = TestHost.create("minimal");
        try {
            Guest g = host.guest(id);
            ProcessStream s = g.start(ExecRequest.shell("echo started; sleep 1; echo done; exit 3")
                    .detach(true).tag("job").timeout(Duration.ZERO).build());
            readUntil(s, "started");
            s.close();
            assertTrue(g.processes().stream().anyMatch(p -> "job".equals(p.tag())), "the detached process was killed");
            TestHost.out(id, "sleep 2");
            try (ProcessStream again = g.attach("job", true)) {
                StringBuilder replayed = new StringBuilder();
                assertEquals(3, drain(again, replayed, new StringBuilder()).exitCode());
                assertEquals("started\ndone\n", replayed.toString());
            }
            assertEquals(HostError.NOT_FOUND, assertThrows(HostException.class, () -> g.attach("job", true)).error());
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void closingTheStreamOfAForegroundProcessKillsIt() throws Exception {
        String id = TestHost.create("minimal");
        try {
            Guest g = host.guest(id);
            ProcessStream s = g.start(ExecRequest.shell("echo up; sleep 300").timeout(Duration.ZERO).build());
            readUntil(s, "up");
            int pid = s.pid();
            s.close();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (g.processes().stream().anyMatch(p -> p.pid() == pid) && System.nanoTime() < deadline) Thread.sleep(50);
            assertFalse(g.processes().stream().anyMatch(p -> p.pid() == pid), "the process outlived its stream");
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void aTerminalSurvivesAHostAgentRestartAndShowsItsScreenOnReattach() throws Exception {
        String id = TestHost.create("minimal");
        try {
            ProcessStream term = host.guest(id).start(ExecRequest.command("/bin/bash").pty(24, 80).detach(true)
                    .tag("pty-test").timeout(Duration.ZERO).build());
            term.write("echo mark-$((6*7))\n".getBytes());
            readUntil(term, "mark-42");
            host = TestHost.restart();
            try (ProcessStream again = host.guest(id).attach("pty-test", true)) {
                assertTrue(again.pty());
                assertTrue(readUntil(again, "mark-42").contains("mark-42"), "the replay lost the screen");
                again.resize(40, 132);
                again.write("stty size; exit 4\n".getBytes());
                StringBuilder live = new StringBuilder();
                assertEquals(4, drain(again, new StringBuilder(), live).exitCode());
                assertTrue(live.toString().contains("40 132"), live.toString());
            }
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void aPauseEndsOpenStreamsWithItsOwnErrorAndTheProcessIsAttachableAfterResume() throws Exception {
        String id = TestHost.create("minimal");
        try {
            ProcessStream s = host.guest(id).start(ExecRequest.shell("i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.2; done")
                    .timeout(Duration.ZERO).build());
            readUntil(s, "tick-2");
            int pid = s.pid();
            CompletableFuture<HostError> ended = CompletableFuture.supplyAsync(() -> {
                try {
                    while (true) s.next();
                } catch (HostException e) {
                    return e.error();
                }
            });
            host.pause(id);
            assertEquals(HostError.CAPSULE_PAUSED, ended.get(30, TimeUnit.SECONDS));
            host.resume(id);
            try (ProcessStream again = host.guest(id).attach(Integer.toString(pid), false)) {
                readUntil(again, "tick-");
            }
        } finally {
            host.destroy(id);
        }
    }
}
