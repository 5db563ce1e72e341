package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.CapsuleInfo;
import dev.wrenn.sdk.CapsuleStatus;
import dev.wrenn.sdk.CreateCapsuleParams;
import dev.wrenn.sdk.WrennClient;
import dev.wrenn.sdk.WrennException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wrenn hosts} and {@code wrenn agent} with real processes, under a control plane without a
 * host of its own: the agent registers and heartbeats; every capsule lives on it, and what users do
 * with one goes through the API, the control plane and gRPC, the port proxy included. The agent
 * killed: the host turns unreachable, its capsules keep their status with status_reason host_lost
 * and answer 503 host_unavailable. The agent back on the same data dir: the same certificate, the
 * capsules work again (their VMs ran on), and a VM that ended meanwhile is found and its capsule
 * failed. A removed host's agent is refused and stops; an unknown token is refused at once.
 */
class AgentCommandTest {
    private static final Pattern API = Pattern.compile("Wrenn API: (http://\\S+/api)");
    private static final Pattern FIRST_KEY = Pattern.compile("First API key \\(shown only this once\\): (wrn_[0-9a-f]+)");
    private static final Pattern REGISTERED = Pattern.compile("Wrenn host agent edge-1 \\(host-[0-9a-z]+\\): listening on");
    private static final Pattern FINGERPRINT = Pattern.compile("TLS certificate SHA-256: ([0-9a-f]{64})");
    private static final Duration START = Duration.ofMinutes(2);

    private static CliRun wrenn(String... args) {
        return CliRun.of(Main.commandLine(), args);
    }

    @Test
    void aControlPlaneRunsCapsulesOnItsAgentThroughSilenceReturnAndRemoval(@TempDir Path dir) throws Exception {
        Path cp = dir.resolve("control-plane");
        Path agentDir = dir.resolve("agent");
        try (WrennProcess server = WrennProcess.start(dir.resolve("server.log"), "server", "--port", "0", "--host",
                "127.0.0.1", "--data-dir", cp.toString(), "--no-embedded-host", "--host-timeout-sec", "3")) {
            String api = server.await(API, START);
            WrennClient client = new WrennClient(server.await(FIRST_KEY, START), api);
            WrennException none = assertThrows(WrennException.class, () -> client.capsules().create());
            assertEquals(503, none.statusCode(), "no host yet: " + none.getMessage());

            CliRun added = wrenn("hosts", "add", "edge-1", "--data-dir", cp.toString());
            assertEquals(0, added.exit(), added::toString);
            String token = added.out().strip();
            assertTrue(token.matches("wrh_[0-9a-f]{48}"), "only the token on stdout: " + added.out());
            assertEquals(2, wrenn("hosts", "add", "edge-1", "--data-dir", cp.toString()).exit(), "names are unique");
            assertTrue(hosts(cp).contains(" new "), hosts(cp));

            String[] agentArgs = {"agent", "--control-plane", api.substring(0, api.length() - "/api".length()), "--token",
                    token, "--data-dir", agentDir.toString(), "--listen", "127.0.0.1:0", "--no-prepare-templates"};
            String id;
            String doomed;
            String fingerprint;
            try (WrennProcess agent = WrennProcess.start(dir.resolve("agent.log"), agentArgs)) {
                agent.await(REGISTERED, START);
                fingerprint = agent.await(FINGERPRINT, START);
                assertTrue(hosts(cp).contains(" ready "), hosts(cp));
                CapsuleInfo created = client.capsules().create(CreateCapsuleParams.builder().build(), true);
                id = created.id();
                assertEquals(CapsuleStatus.RUNNING, created.status(), created::toString);
                Capsule c = Capsule.connect(client, id);
                c.files().write("note.txt", "kept");
                assertEquals("hi\n", c.commands().run("echo hi").stdout());
                String proxied = MultiHostCluster.proxied(api, c);
                assertTrue(proxied.startsWith("HTTP/1.1 200") && proxied.endsWith("served by the capsule\n"), proxied);
                c.pause();
                c.resume();
                assertEquals("kept", c.files().read("note.txt"));
                doomed = client.capsules().create(CreateCapsuleParams.builder().build(), true).id();

                agent.kill();
                WrennProcess.killVmsIn(agentDir.resolve("capsules").resolve(doomed));
                Thread.sleep(4500);
                assertTrue(hosts(cp).contains(" unreachable "), "silent for longer than the timeout: " + hosts(cp));
                WrennException lost = assertThrows(WrennException.class, () -> c.commands().run("true"));
                assertEquals("host_unavailable", lost.code(), lost.getMessage());
                assertEquals(503, lost.statusCode());
                CapsuleInfo shown = client.capsules().get(id);
                assertEquals(CapsuleStatus.RUNNING, shown.status(), "the status stays what it was");
                assertEquals("host_lost", shown.statusReason());
            }

            try (WrennProcess again = WrennProcess.start(dir.resolve("agent-again.log"), agentArgs)) {
                again.await(REGISTERED, START);
                assertEquals(fingerprint, again.await(FINGERPRINT, START), "the same data dir, the same certificate");
                assertTrue(hosts(cp).contains(" ready "), hosts(cp));
                Capsule c = Capsule.connect(client, id);
                assertEquals("kept\n", c.commands().run("cat note.txt; echo").stdout(), "the VM ran on without its agent");
                assertEquals(null, client.capsules().get(id).statusReason());
                CapsuleInfo gone = awaitStatus(client, doomed, CapsuleStatus.ERROR);
                assertTrue(List.of("host_lost", "vm_exited").contains(gone.statusReason()), gone::toString);

                assertEquals(2, wrenn("hosts", "remove", "edge-1", "--data-dir", cp.toString()).exit(),
                        "a host holding a capsule stays");
                c.destroy();
                CliRun removed = wrenn("hosts", "remove", "edge-1", "--data-dir", cp.toString());
                assertEquals(0, removed.exit(), removed::toString);
                assertEquals(1, again.awaitExit(Duration.ofSeconds(30)), "a removed host's agent stops");
                assertTrue(again.output().contains("refused this host"), again.output());
            }

            try (WrennProcess unknown = WrennProcess.start(dir.resolve("agent-unknown.log"), agentArgs)) {
                assertEquals(2, unknown.awaitExit(START), "an unknown token is refused at the registration");
                assertTrue(unknown.output().contains("refused the registration"), unknown.output());
            }
        } finally {
            WrennProcess.killVmsIn(dir);   // the warm clones of the killed agent
        }
    }

    private static CapsuleInfo awaitStatus(WrennClient client, String id, CapsuleStatus status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        CapsuleInfo c;
        while ((c = client.capsules().get(id)).status() != status && System.nanoTime() < deadline) Thread.sleep(100);
        assertEquals(status, c.status(), c::toString);
        return c;
    }

    private static String hosts(Path cp) {
        CliRun list = wrenn("hosts", "list", "--data-dir", cp.toString());
        assertEquals(0, list.exit(), list::toString);
        return list.out();
    }
}
