package dev.wrenn.cli;

import static dev.wrenn.cli.MultiHostCluster.phase;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.CapsuleInfo;
import dev.wrenn.sdk.CapsuleStatus;
import dev.wrenn.sdk.CommandResult;
import dev.wrenn.sdk.CommandStream;
import dev.wrenn.sdk.CreateCapsuleParams;
import dev.wrenn.sdk.OutputHandler;
import dev.wrenn.sdk.WrennClient;
import dev.wrenn.sdk.WrennException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Wrenn on several machines, with real processes on this one ({@link MultiHostCluster}): two
 * control planes on one PostgreSQL database behind a load balancer, three host agents each in a
 * network and mount namespace of its own. Capsules created through either control plane spread
 * over the hosts and serve everything through the other one (exec, files, a streamed command, the
 * port proxy); a snapshot template runs on another host while its own drains; an agent killed, or
 * cut off from the network, loses its capsules (host_lost, 503 host_unavailable) until it is back;
 * a control plane killed in the middle of a create and a pause leaves both to the other one.
 * Each scenario prints how long it took ({@code PHASE} lines).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostTest {
    private static final CreateCapsuleParams MINIMAL = CreateCapsuleParams.builder().template("minimal").build();
    /** The first create on each agent builds its minimal template (TCG: tens of seconds with three at once). */
    private static final Duration FIRST_RUNNING = Duration.ofMinutes(3);
    /** How soon after its agent goes silent a capsule must show host_lost: the host timeout and some slack. */
    private static final Duration LOST_WITHIN = Duration.ofSeconds(MultiHostCluster.HOST_TIMEOUT_SEC + 7);
    private static final Duration BACK_WITHIN = Duration.ofSeconds(30);
    /** How soon after an agent registered again its capsules must work through every control plane. */
    private static final Duration USABLE_AFTER_RETURN = Duration.ofSeconds(5);
    /** How soon a capsule that works again must stop showing host_lost. */
    private static final Duration RECONCILED_WITHIN = Duration.ofSeconds(10);

    private MultiHostCluster cluster;
    /** The capsules of the first scenario, with the control plane (0 or 1) that created each. */
    private final Map<String, Integer> createdBy = new LinkedHashMap<>();

    @BeforeAll
    void startCluster() throws Exception {
        cluster = MultiHostCluster.start(3);
    }

    @AfterAll
    void stopCluster() {
        if (cluster != null) cluster.close();
    }

    @Test
    @Order(1)
    void createsThroughBothControlPlanesSpreadOverTheHosts() throws Exception {
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < 4; i++) {
                CapsuleInfo c = cluster.client(i % 2).capsules().create(MINIMAL, false);
                createdBy.put(c.id(), i % 2);
            }
            for (Map.Entry<String, Integer> e : createdBy.entrySet()) {
                CapsuleInfo c = cluster.client(1 - e.getValue()).capsules().waitUntilRunning(e.getKey(), FIRST_RUNNING);
                assertEquals(CapsuleStatus.RUNNING, c.status(), c::toString);
            }
            Map<String, List<String>> byHost = byHost(createdBy.keySet());
            System.out.println("capsules by host: " + byHost + "\n" + cluster.hosts());
            assertTrue(byHost.size() >= 2, "4 creates at once on 3 hosts went to " + byHost);
        } finally {
            phase("creates_spread", t0);
        }
    }

    @Test
    @Order(2)
    void everyCapsuleServesThroughTheControlPlaneThatDidNotCreateIt() throws Exception {
        long t0 = System.nanoTime();
        try {
            assertTrue(createdBy.size() >= 2, "the capsules of the first scenario: " + createdBy);
            Set<String> fullRound = new HashSet<>();
            for (Map.Entry<String, Integer> e : createdBy.entrySet()) {
                int other = 1 - e.getValue();
                Capsule c = Capsule.connect(cluster.client(other), e.getKey());
                assertEquals("hi\n", c.commands().run("echo hi").stdout());
                if (!fullRound.add(cluster.hostOf(c.id()))) continue;   // the rest once per host

                c.files().write("note.txt", "written through cp" + (other + 1));
                assertEquals("written through cp" + (other + 1),
                        Capsule.connect(cluster.client(e.getValue()), c.id()).files().read("note.txt"), "read through the other");

                StringBuffer out = new StringBuffer();
                try (CommandStream s = c.commands().stream("for i in 1 2 3; do echo line $i; sleep 0.2; done",
                        OutputHandler.text(out::append, out::append))) {
                    assertEquals(0, s.waitFor(Duration.ofSeconds(30)));
                }
                assertEquals("line 1\nline 2\nline 3\n", out.toString());

                String proxied = MultiHostCluster.proxied(cluster.api(other), c);
                assertTrue(proxied.startsWith("HTTP/1.1 200") && proxied.endsWith("served by the capsule\n"), proxied);
            }
            assertTrue(fullRound.size() >= 2, "hosts: " + fullRound);
        } finally {
            phase("serve_across", t0);
        }
    }

    @Test
    @Order(3)
    void aSnapshotTemplateRunsOnAnotherHostWhileItsOwnDrains() throws Exception {
        long t0 = System.nanoTime();
        String source = createdBy.keySet().iterator().next();
        String hostA = cluster.hostOf(source);
        String copy = null;
        try {
            WrennClient cp1 = cluster.client(0);
            Capsule.connect(cp1, source).files().write("snap.txt", "in the template");
            cp1.snapshots().create(source, "mh-snap");
            long drained = System.nanoTime();
            cluster.drain(hostA, true);
            assertTrue(line(cluster.hosts(), hostA).contains(" draining "), cluster.hosts());
            CapsuleInfo meanwhile = cp1.capsules().get(source);
            System.out.println("the source capsule on the draining host: " + meanwhile.status() + " (" + meanwhile.statusReason() + ")");
            CapsuleInfo created;
            try {
                created = cluster.client(1).capsules().create(CreateCapsuleParams.builder().template("mh-snap").build(), true);
            } catch (WrennException e) {
                fail("create from snapshot template mh-snap (saved on " + hostA + ", which drains) through cp2: HTTP "
                        + e.statusCode() + " " + e.code() + ": " + e.getMessage() + "\n" + cluster.logs(), e);
                return;
            }
            copy = created.id();
            phase("create_from_snapshot_elsewhere", drained);
            assertEquals(CapsuleStatus.RUNNING, created.status(), created::toString);
            String hostB = cluster.hostOf(copy);
            assertNotEquals(hostA, hostB, "a draining host takes no new capsule");
            assertEquals("in the template", Capsule.connect(cluster.client(0), copy).files().read("snap.txt"));
        } finally {
            cluster.drain(hostA, false);
            if (copy != null) cluster.client(1).capsules().destroy(copy);
            phase("snapshot_on_another_host", t0);
        }
        assertTrue(!line(cluster.hosts(), hostA).contains(" draining "), cluster.hosts());
        long undone = System.nanoTime();
        awaitUsable(cluster.client(0), source, BACK_WITHIN);   // paused by the drain, if it was
        phase("undrain_to_source_usable", undone);
    }

    @Test
    @Order(4)
    void anAgentKilledLosesItsCapsulesUntilItIsBack() throws Exception {
        long t0 = System.nanoTime();
        try {
            String id = createdBy.keySet().iterator().next();
            MultiHostCluster.Agent agent = cluster.agent(cluster.hostOf(id));
            awaitUsable(cluster.client(0), id, BACK_WITHIN);
            Capsule c = Capsule.connect(cluster.client(0), id);
            c.files().write("kept.txt", "kept");

            long killed = System.nanoTime();
            agent.kill();
            CapsuleInfo lost = awaitReason(cluster.client(1), id, "host_lost", LOST_WITHIN);
            phase("agent_killed_to_host_lost", killed);
            assertEquals(CapsuleStatus.RUNNING, lost.status(), "the status stays what it was");
            assertHostUnavailable(() -> c.commands().run("true"));
            assertHostUnavailable(() -> cluster.client(1).capsules().pause(id));
            assertTrue(line(cluster.hosts(), agent.name).contains(" unreachable "), cluster.hosts());

            long restarted = System.nanoTime();
            agent.start();
            agent.awaitRegistered();
            phase("agent_restart_to_registered", restarted);
            long registered = System.nanoTime();
            for (int cp = 0; cp < 2; cp++) {
                awaitUsable(cluster.client(cp), id, USABLE_AFTER_RETURN);
                phase("agent_registered_to_usable_through_cp" + (cp + 1), registered);
            }
            assertEquals("kept\n", c.commands().run("cat kept.txt; echo").stdout(), "the VM ran on without its agent");
            CapsuleInfo back = awaitReason(cluster.client(1), id, null, RECONCILED_WITHIN);
            phase("agent_registered_to_host_lost_cleared", registered);
            assertEquals(CapsuleStatus.RUNNING, back.status(), back::toString);
        } finally {
            phase("agent_killed", t0);
        }
    }

    @Test
    @Order(5)
    void anAgentCutOffLosesItsCapsulesUntilTheLinkIsBack() throws Exception {
        long t0 = System.nanoTime();
        try {
            // a capsule on another host than the one killed before, when there is one
            String killedHost = cluster.hostOf(createdBy.keySet().iterator().next());
            String id = createdBy.keySet().stream().filter(i -> !cluster.hostOf(i).equals(killedHost)).findFirst()
                    .orElse(createdBy.keySet().iterator().next());
            MultiHostCluster.Agent agent = cluster.agent(cluster.hostOf(id));
            Capsule c = Capsule.connect(cluster.client(1), id);

            long cut = System.nanoTime();
            agent.ns.linkDown();
            CapsuleInfo lost;
            try {
                lost = awaitReason(cluster.client(0), id, "host_lost", LOST_WITHIN);
                phase("link_down_to_host_lost", cut);
                assertEquals(CapsuleStatus.RUNNING, lost.status(), lost::toString);
                assertHostUnavailable(() -> c.commands().run("true"));
                assertTrue(line(cluster.hosts(), agent.name).contains(" unreachable "), cluster.hosts());
            } finally {
                agent.ns.linkUp();
            }
            long up = System.nanoTime();
            for (int cp = 0; cp < 2; cp++) {
                awaitUsable(cluster.client(cp), id, BACK_WITHIN);
                phase("link_up_to_usable_through_cp" + (cp + 1), up);
            }
            CapsuleInfo back = awaitReason(cluster.client(0), id, null, RECONCILED_WITHIN);
            phase("link_up_to_host_lost_cleared", up);
            assertEquals(CapsuleStatus.RUNNING, back.status(), back::toString);
            assertTrue(line(cluster.hosts(), agent.name).contains(" ready "), cluster.hosts());
            assertEquals("hi\n", Capsule.connect(cluster.client(1), id).commands().run("echo hi").stdout());
        } finally {
            phase("agent_cut_off", t0);
        }
    }

    @Test
    @Order(6)
    void aControlPlaneKilledInTheMiddleOfOperationsLeavesThemToTheOther() throws Exception {
        long t0 = System.nanoTime();
        try {
            WrennClient cp1 = cluster.client(0);
            WrennClient cp2 = cluster.client(1);
            String pausing = createdBy.keySet().stream().skip(1).findFirst().orElseThrow();
            awaitUsable(cp2, pausing, BACK_WITHIN);
            String creating = cp1.capsules().create(MINIMAL, false).id();
            CompletableFuture<CapsuleInfo> pause = cp1.async().capsules().pause(pausing);
            Thread.sleep(50);   // the pause under way
            long killed = System.nanoTime();
            cluster.controlPlane(0).kill();
            System.out.println("the pause through cp1: " + pause.handle((done, failed) -> failed == null
                    ? "answered " + done.status() : "failed: " + failed).getNow("no answer before cp1's end"));

            CapsuleInfo created = awaitUsable(cp2, creating, BACK_WITHIN);
            phase("cp_killed_to_create_usable", killed);
            assertEquals("hi\n", Capsule.connect(cp2, created.id()).commands().run("echo hi").stdout());
            awaitUsable(cp2, pausing, BACK_WITHIN);
            phase("cp_killed_to_pause_settled", killed);
            assertEquals("hi\n", Capsule.connect(cp2, pausing).commands().run("echo hi").stdout());

            // the agents heartbeat through the load balancer: none of them was lost with the control plane
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            String hosts;
            while ((hosts = cluster.hosts()).contains(" unreachable ") && System.nanoTime() < deadline) Thread.sleep(250);
            assertTrue(!hosts.contains(" unreachable "), hosts);
        } finally {
            phase("control_plane_killed", t0);
        }
    }

    /** The capsules by the name of their host. */
    private Map<String, List<String>> byHost(Iterable<String> ids) {
        Map<String, List<String>> by = new TreeMap<>();
        for (String id : ids) by.computeIfAbsent(cluster.hostOf(id), h -> new ArrayList<>()).add(id);
        return by;
    }

    /** The line of {@code wrenn hosts list} naming {@code host}. */
    private static String line(String hostsList, String host) {
        return hostsList.lines().filter(l -> l.contains(" " + host + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no host " + host + " in:\n" + hostsList)) + " ";
    }

    private static void assertHostUnavailable(org.junit.jupiter.api.function.Executable operation) {
        WrennException e = assertThrows(WrennException.class, operation);
        assertEquals(503, e.statusCode(), e::getMessage);
        assertEquals("host_unavailable", e.code(), e::getMessage);
    }

    private CapsuleInfo awaitReason(WrennClient client, String id, String reason, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        CapsuleInfo c;
        while (!Objects.equals(reason, (c = client.capsules().get(id)).statusReason()) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(reason, c.statusReason(), () -> "within " + within.toSeconds() + " s\n" + cluster.logs());
        return c;
    }

    /**
     * Waits until the capsule can be used through {@code client}: running with a guest that runs a
     * command, or paused and resumed. Fails with what it saw last when it is still not so after {@code within}.
     */
    private CapsuleInfo awaitUsable(WrennClient client, String id, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        String last = "nothing";
        while (System.nanoTime() < deadline) {
            try {
                CapsuleInfo c = client.capsules().get(id);
                last = c.status() + " (" + c.statusReason() + ")";
                if (c.status() == CapsuleStatus.PAUSED) {
                    client.capsules().resume(id);
                } else if (c.status() == CapsuleStatus.RUNNING) {
                    // an exec: ping answers from the record alone, also while the host is lost
                    CommandResult r = Capsule.connect(client, id).commands().run("true");
                    assertEquals(0, r.exitCode(), r::toString);
                    return client.capsules().get(id);
                } else if (c.status() == CapsuleStatus.ERROR || c.status() == CapsuleStatus.STOPPED) {
                    fail("capsule " + id + " ended " + last + "\n" + cluster.logs());
                }
            } catch (WrennException e) {
                last = "HTTP " + e.statusCode() + " " + e.code() + ": " + e.getMessage();
            }
            Thread.sleep(200);
        }
        return fail(String.format(Locale.ROOT, "capsule %s not usable within %d s; last: %s%n%s%s", id, within.toSeconds(),
                last, cluster.hosts(), cluster.logs()));
    }
}
