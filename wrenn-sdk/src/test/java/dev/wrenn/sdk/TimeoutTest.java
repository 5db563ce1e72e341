package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.sdk.ScriptedServer.Answer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A call's timeout bounds it in all; long operations get the longer default; per-call views override both. */
class TimeoutTest {
    private ScriptedServer server;
    private WrennClient client;

    @BeforeEach
    void up() throws Exception {
        server = new ScriptedServer();
        client = WrennClient.builder().apiKey("wrn_test").baseUrl(server.baseUrl())
                .requestTimeout(Duration.ofMillis(400)).longOperationTimeout(Duration.ofSeconds(5))
                .retryDelays(Duration.ofMillis(100), Duration.ofMillis(200)).build();
    }

    @AfterEach
    void down() {
        client.close();
        server.close();
    }

    @Test
    void aSlowAnswerIsATimeoutNamingTheCallAndTheLimit() {
        server.always(Answer.json(200, ErrorMappingTest.CAPSULE).after(Duration.ofSeconds(3)));
        long t0 = System.nanoTime();
        WrennTimeoutException e = assertThrows(WrennTimeoutException.class, () -> client.capsules().get("cl-x"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 1500, "gave up after " + ms + " ms");
        assertEquals("timeout", e.code());
        assertTrue(e.getMessage().contains("GET /v1/capsules/cl-x") && e.getMessage().contains("400 ms"), e.getMessage());
    }

    @Test
    void pauseAndResumeGetTheLongOperationTimeout() {
        server.always(Answer.json(200, ErrorMappingTest.CAPSULE).after(Duration.ofSeconds(1)));
        assertEquals("cl-0123456789abcdefghijklmno", client.capsules().pause("cl-x").id());
        assertEquals("cl-0123456789abcdefghijklmno", client.capsules().resume("cl-x").id());
    }

    @Test
    void aPerCallTimeoutOverridesTheClientsForThatViewOnly() {
        server.always(Answer.json(200, ErrorMappingTest.CAPSULE).after(Duration.ofSeconds(1)));
        assertEquals(CapsuleStatus.RUNNING, client.withTimeout(Duration.ofSeconds(3)).capsules().get("cl-x").status());
        assertThrows(WrennTimeoutException.class, () -> client.withTimeout(Duration.ofMillis(200)).capsules().pause("cl-x"));
        assertThrows(WrennTimeoutException.class, () -> client.capsules().get("cl-x"), "the client keeps its own timeout");
    }

    @Test
    void retriesStayWithinTheCallsTimeout() {
        server.always(Answer.error(503, "no_capacity", "full").after(Duration.ofMillis(150)));
        try (WrennClient patient = WrennClient.builder().apiKey("wrn_test").baseUrl(server.baseUrl()).maxRetries(50)
                .requestTimeout(Duration.ofMillis(800)).retryDelays(Duration.ofMillis(50), Duration.ofMillis(50)).build()) {
            long t0 = System.nanoTime();
            assertThrows(WrennException.class, () -> patient.capsules().list());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 2000, "50 retries (10 s) were cut by the 800 ms timeout, took " + ms + " ms");
            assertTrue(server.received().size() < 10, server.received().size() + " attempts");
        }
    }

    @Test
    void aCommandsCallLastsAsLongAsTheCommandMayRun() {
        String result = "{\"capsule_id\":\"cl-x\",\"cmd\":\"/bin/sh\",\"stdout\":\"done\\n\",\"stderr\":\"\",\"exit_code\":0,"
                + "\"duration_ms\":2500,\"encoding\":\"utf-8\",\"timed_out\":false,\"truncated\":false}";
        server.then(Answer.json(200, ErrorMappingTest.CAPSULE), Answer.json(200, result).after(Duration.ofMillis(2500)));
        try (WrennClient c = WrennClient.builder().apiKey("wrn_test").baseUrl(server.baseUrl())
                .requestTimeout(Duration.ofSeconds(1)).build()) {
            Capsule capsule = Capsule.connect(c, "cl-x");
            // 2.5 s is over the client's 1 s, but within the command's own 3 s (plus the 1 s margin)
            CommandResult r = capsule.commands().run("sleep 2; echo done", RunOptions.builder().timeout(Duration.ofSeconds(3)).build());
            assertEquals("done\n", r.stdout());
        }
        assertEquals("{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"sleep 2; echo done\"],\"timeout_sec\":3}", server.received().get(1).body());
    }

    @Test
    void aCreateThatNeverRunsWithinTheWaitIsDestroyedAndReportedAsATimeout() {
        String starting = ErrorMappingTest.CAPSULE.replace("\"running\"", "\"starting\"");
        server.then(Answer.json(201, starting));
        server.always(Answer.json(200, starting));
        try (WrennClient c = WrennClient.builder().apiKey("wrn_test").baseUrl(server.baseUrl())
                .longOperationTimeout(Duration.ofMillis(700)).build()) {
            WrennTimeoutException e = assertThrows(WrennTimeoutException.class,
                    () -> c.capsules().create(CreateCapsuleParams.defaults(), true));
            assertTrue(e.getMessage().contains("cl-0123456789abcdefghijklmno did not reach running"), e.getMessage());
        }
        var last = server.received().get(server.received().size() - 1);
        assertEquals("DELETE /api/v1/capsules/cl-0123456789abcdefghijklmno", last.method() + " " + last.uri());
        assertEquals("/api/v1/capsules?wait=true", server.received().get(0).uri());
    }

    @Test
    void aCreateThatEndsInErrorFailsWithTheReasonAndKeepsTheRecord() {
        server.then(Answer.json(201, ErrorMappingTest.CAPSULE.replace("\"running\"", "\"error\"")
                .replace("\"status_reason\":null", "\"status_reason\":\"create_failed: boot timed out\"")));
        WrennCapsuleStateException e = assertThrows(WrennCapsuleStateException.class,
                () -> client.capsules().create(CreateCapsuleParams.defaults(), true));
        assertEquals(CapsuleStatus.ERROR, e.capsule().status());
        assertTrue(e.getMessage().contains("create_failed: boot timed out"), e.getMessage());
        assertEquals(1, server.received().size(), "nothing destroyed: an error capsule holds no resources");
    }
}
