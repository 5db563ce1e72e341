package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.capsule.CapsuleStatus;
import dev.wrenn.server.capsule.Operation;
import dev.wrenn.server.store.CapsuleStore;
import dev.wrenn.server.store.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The control plane's lifecycle and recovery rules over an in-memory host, where every outcome of
 * a host operation and every state a restart can find is set up exactly: what a user sees after a
 * failed pause or resume, a VM that dies, a boot that is destroyed, and a server that restarts in
 * the middle of each operation. The same rules run against real VMs in CapsuleApiTest and
 * CrashRecoveryTest; these pin every branch down in a second.
 */
class LifecycleRulesTest {
    private Path dataDir;
    private InMemoryHost host;
    private WrennServer server;
    private Api api;

    @BeforeEach
    void start() throws IOException {
        dataDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-rules-");
        host = new InMemoryHost();
        server = WrennServer.start(config(), host);
        api = new Api("http://127.0.0.1:" + server.port(), server.firstKey().orElseThrow());
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
        FileOps.deleteTree(dataDir);
    }

    private ServerConfig config() {
        return ServerConfig.builder(dataDir).bindHost("127.0.0.1").port(0).prepareTemplates(false)
                .hostMemoryMb(8192).hostVcpus(2).shutdownGrace(Duration.ofSeconds(5)).build();
    }

    // ---- failures of a running server's operations -----------------------------------------------

    @Test
    void aPauseThatTheHostRollsBackLeavesTheCapsuleRunningAndUsable() {
        String id = api.createRunning();
        host.failNext(InMemoryHost.Op.PAUSE, HostError.HOST_FAILURE, Phase.RUNNING);
        assertEquals("agent_error", api.post("/capsules/" + id + "/pause").errorCode());
        assertEquals("running", status(id));
        assertEquals(200, api.exec(id, "{\"cmd\":\"true\"}").status());
        assertEquals(200, api.post("/capsules/" + id + "/pause").status(), "a later pause works");
    }

    @Test
    void aPauseThatFindsTheDiskFullIs507AndTheCapsuleRunsOn() {
        String id = api.createRunning();
        host.failNext(InMemoryHost.Op.PAUSE, HostError.DISK_FULL, Phase.RUNNING);
        Response r = api.post("/capsules/" + id + "/pause");
        assertEquals(507, r.status(), r::toString);
        assertEquals("insufficient_storage", r.errorCode());
        assertEquals("running", status(id));
    }

    @Test
    void aPauseThatLosesTheVmEndsInErrorHostLostAndFreesTheHost() {
        String id = api.createRunning();
        host.failNext(InMemoryHost.Op.PAUSE, HostError.HOST_FAILURE, Phase.EXITED);
        assertEquals(502, api.post("/capsules/" + id + "/pause").status());
        JsonNode c = api.capsule(id);
        assertEquals("error", c.get("status").asText());
        assertEquals("host_lost", c.get("status_reason").asText());
        assertTrue(host.destroyed().contains(id), "an error capsule holds no host resources");
    }

    @Test
    void aResumeThatFailsBeforeUsingThePauseFilesLeavesItPausedAndResumableLater() {
        String id = api.createRunning();
        assertEquals(200, api.post("/capsules/" + id + "/pause").status());
        host.failNext(InMemoryHost.Op.RESUME, HostError.HOST_FAILURE, Phase.PAUSED);
        assertEquals(502, api.post("/capsules/" + id + "/resume").status());
        assertEquals("paused", status(id));
        assertEquals(200, api.post("/capsules/" + id + "/resume").status());
        assertEquals("running", status(id));
    }

    @Test
    void aVmThatDiesOnItsOwnMakesTheCapsuleAnErrorWithVmExited() {
        String id = api.createRunning();
        host.crash(id);
        JsonNode c = api.awaitStatus(id, "error", Duration.ofSeconds(5));
        assertEquals("vm_exited", c.get("status_reason").asText());
        assertTrue(host.destroyed().contains(id));
        assertEquals("invalid_state", api.post("/capsules/" + id + "/resume").errorCode());
    }

    @Test
    void aCreateThatFailsOnTheHostIsAnErrorNamingWhy() {
        host.failNext(InMemoryHost.Op.CREATE, HostError.TIMEOUT, null);
        JsonNode c = api.post("/capsules?wait=true", "{}").json();
        assertEquals("error", c.get("status").asText());
        assertTrue(c.get("status_reason").asText().startsWith("create_failed: "), c.toString());
    }

    @Test
    void aCapsuleDestroyedDuringItsBootIsStoppedAndTheVmItsBootMadeIsThrownAway() throws Exception {
        CountDownLatch boot = host.holdCreates();
        String id = api.post("/capsules", "{}").json().get("id").asText();
        assertEquals(204, api.delete("/capsules/" + id).status());
        assertEquals("stopped", status(id));
        boot.countDown();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!host.created().contains(id) && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(host.created().contains(id), "the held boot made its VM");
        while (host.capsule(id).isPresent() && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(host.capsule(id).isEmpty(), "the VM of an aborted boot is destroyed");
        assertEquals("stopped", status(id));
    }

    @Test
    void aSnapshotThatFailsReleasesTheCapsuleForTheNextOperation() {
        String id = api.createRunning();
        host.failNext(InMemoryHost.Op.SNAPSHOT, HostError.DISK_FULL, Phase.RUNNING);
        Response r = api.post("/snapshots", "{\"capsule_id\":\"" + id + "\",\"name\":\"full\"}");
        assertEquals(507, r.status(), r::toString);
        assertEquals(200, api.post("/capsules/" + id + "/pause").status(), "the operation slot was released");
    }

    @Test
    void aForegroundCommandHasA30SecondTimeoutByDefaultAndABackgroundOneNone() {
        String id = api.createRunning();
        assertEquals(200, api.exec(id, "{\"cmd\":\"true\"}").status());
        assertEquals(202, api.exec(id, "{\"cmd\":\"python3\",\"args\":[\"-m\",\"http.server\"],\"background\":true}").status());
        assertEquals(202, api.exec(id, "{\"cmd\":\"sleep\",\"args\":[\"9\"],\"background\":true,\"timeout_sec\":5}").status());
        var execs = host.execs();
        assertEquals(Duration.ofSeconds(30), execs.get(0).timeout());
        assertEquals(Duration.ZERO, execs.get(1).timeout(), "a background server must keep serving");
        assertEquals(Duration.ofSeconds(5), execs.get(2).timeout());
    }

    // ---- a restart in the middle of an operation -------------------------------------------------

    @Test
    void aPauseInterruptedAfterTheHostFinishedItIsPausedAfterARestart() throws IOException {
        String id = api.createRunning();
        restartDuring(id, Operation.PAUSE, () -> host.setPhase(id, Phase.PAUSED));
        assertEquals("paused", status(id));
        assertEquals(200, api.post("/capsules/" + id + "/resume").status(), "the operation slot was released");
    }

    @Test
    void aPauseInterruptedBeforeTheHostFinishedItIsRunningAfterARestart() throws IOException {
        String id = api.createRunning();
        restartDuring(id, Operation.PAUSE, () -> { });
        assertEquals("running", status(id));
    }

    @Test
    void aResumeInterruptedAfterTheHostFinishedItIsRunningWithAFreshStartTime() throws IOException {
        String id = api.createRunning();
        assertEquals(200, api.post("/capsules/" + id + "/pause").status());
        restartDuring(id, Operation.RESUME, () -> host.setPhase(id, Phase.RUNNING));
        JsonNode c = api.capsule(id);
        assertEquals("running", c.get("status").asText());
        assertFalse(c.get("started_at").isNull());
    }

    @Test
    void aCapsuleWhoseVmIsGoneAfterARestartIsAnErrorHostLost() throws IOException {
        String id = api.createRunning();
        restartDuring(id, null, () -> host.setPhase(id, null));
        JsonNode c = api.capsule(id);
        assertEquals("error", c.get("status").asText());
        assertEquals("host_lost", c.get("status_reason").asText());
    }

    @Test
    void anInterruptedDestroyIsFinishedAndItsVmRemoved() throws IOException {
        String id = api.createRunning();
        restartDuring(id, Operation.DESTROY, () -> { });
        assertEquals("stopped", status(id));
        assertTrue(host.capsule(id).isEmpty());
    }

    @Test
    void anInterruptedCreateWhoseVmCameUpIsRunning() throws IOException {
        String id = api.createRunning();
        restartDuring(id, Operation.CREATE, () -> { }, store -> store.move(id, EnumSet.of(CapsuleStatus.RUNNING),
                CapsuleStatus.STARTING, null, Clock.millis(), null));
        JsonNode c = api.capsule(id);
        assertEquals("running", c.get("status").asText(), c::toString);
        assertTrue(c.get("status_reason").isNull(), c::toString);
        assertTrue(host.capsule(id).isPresent(), "its VM is kept");
    }

    @Test
    void anInterruptedCreateWithoutAVmIsBootedAgain() throws IOException {
        String id = api.createRunning();
        restartDuring(id, Operation.CREATE, () -> host.destroy(id), store -> store.move(id, EnumSet.of(CapsuleStatus.RUNNING),
                CapsuleStatus.STARTING, null, Clock.millis(), null));
        JsonNode c = api.awaitStatus(id, "running", Duration.ofSeconds(30));
        assertTrue(c.get("status_reason").isNull(), c::toString);
        assertTrue(host.capsule(id).isPresent(), "it has a VM again");
        assertEquals(200, api.post("/capsules/" + id + "/pause").status(), "the create's operation slot was released");
    }

    @Test
    void aNetworkChangeInterruptedAfterTheHostAppliedItIsRolledBackToTheRecordedPolicy() throws IOException {
        String id = api.createRunning("{\"network\":{\"deny_out\":[\"10.0.0.0/8\"]}}");
        NetworkPolicy recorded = host.policy(id);
        restartDuring(id, Operation.NETWORK, () -> host.setNetwork(id, NetworkPolicy.of(false, List.of(), List.of())));
        assertEquals(recorded, host.policy(id), "the host has what the record says");
        assertEquals(List.of("10.0.0.0/8"), recorded.denyOutText());
        assertEquals(200, api.post("/capsules/" + id + "/pause").status(), "the operation slot was released");
    }

    @Test
    void vmsAndTemplatesThatNoRecordOwnsAreRemovedAtStart() throws IOException {
        String id = api.createRunning();
        assertEquals(204, api.delete("/capsules/" + id).status());
        restartDuring(id, null, () -> {
            host.setPhase(id, Phase.RUNNING);   // a destroy whose host half never happened
            host.addTemplate("s-0123456789012345678901234567890123456789");   // an interrupted snapshot
        });
        assertTrue(host.capsule(id).isEmpty(), "the VM of a stopped capsule is removed");
        assertTrue(host.template("s-0123456789012345678901234567890123456789").isEmpty(), "an orphan template is removed");
        assertTrue(host.template("minimal").isPresent());
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private String status(String id) {
        return api.capsule(id).get("status").asText();
    }

    private void restartDuring(String id, Operation op, Runnable hostFinds) throws IOException {
        restartDuring(id, op, hostFinds, store -> { });
    }

    /**
     * Stops the server as a crash would leave things: the capsule's record holds {@code op} (if
     * any) and whatever {@code record} changes, and the host holds what {@code hostFinds} sets up.
     * Then a new server starts over the same database and host, and recovers.
     */
    private void restartDuring(String id, Operation op, Runnable hostFinds, Consumer<CapsuleStore> record) throws IOException {
        server.close();
        server = null;
        try (Database db = Database.open(null, dataDir.resolve("wrenn.db"))) {
            CapsuleStore store = new CapsuleStore(db.dataSource(), true, "cp-test");
            if (op != null) {
                assertTrue(store.claim(id, op, EnumSet.allOf(CapsuleStatus.class), Clock.millis()), "claiming " + op);
            }
            record.accept(store);
        }
        hostFinds.run();
        server = WrennServer.start(config(), host);
        api = new Api("http://127.0.0.1:" + server.port(), api.key());
    }
}
