package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.sdk.ScriptedServer.Answer;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Idempotent calls are retried on 429, 502, 503 and connection failures; others never are. */
class RetryTest {
    private static final String CAPSULE = ErrorMappingTest.CAPSULE;
    private ScriptedServer server;
    private WrennClient client;

    @BeforeEach
    void up() throws Exception {
        server = new ScriptedServer();
        client = client(server.baseUrl(), 3, Duration.ofSeconds(10));
    }

    @AfterEach
    void down() {
        client.close();
        server.close();
    }

    private static WrennClient client(String url, int retries, Duration timeout) {
        return WrennClient.builder().apiKey("wrn_test").baseUrl(url).maxRetries(retries).requestTimeout(timeout)
                .retryDelays(Duration.ofMillis(20), Duration.ofMillis(100)).build();
    }

    @Test
    void aGetIsRetriedThroughTransientFailuresAndSucceeds() {
        server.then(Answer.error(503, "no_capacity", "full"), Answer.error(502, "agent_error", "vmm"), Answer.json(200, CAPSULE));
        assertEquals(CapsuleStatus.RUNNING, client.capsules().get("cl-x").status());
        assertEquals(3, server.received().size());
    }

    @Test
    void retriesStopAfterMaxRetriesWithTheLastError() {
        server.always(Answer.error(502, "agent_error", "vmm down"));
        WrennAgentException e = assertThrows(WrennAgentException.class, () -> client.capsules().list());
        assertEquals("vmm down", e.getMessage());
        assertEquals(4, server.received().size(), "one attempt and 3 retries");
    }

    @Test
    void pingAndDestroyAreRetriedButCreatePauseResumeAndSnapshotAreNot() {
        server.then(Answer.error(502, "agent_error", "x"), new Answer(204, "", java.util.Map.of(), Duration.ZERO),
                Answer.error(429, "rate_limited", "x"), new Answer(204, "", java.util.Map.of(), Duration.ZERO));
        client.capsules().ping("cl-x");
        client.capsules().destroy("cl-x");
        assertEquals(4, server.received().size());

        server.always(Answer.error(503, "no_capacity", "full"));
        assertThrows(WrennNoCapacityException.class, () -> client.capsules().create());
        assertThrows(WrennNoCapacityException.class, () -> client.capsules().pause("cl-x"));
        assertThrows(WrennNoCapacityException.class, () -> client.capsules().resume("cl-x"));
        assertThrows(WrennNoCapacityException.class, () -> client.snapshots().create("cl-x", "snap"));
        assertEquals(8, server.received().size(), "each of the four was sent once");
    }

    @Test
    void clientErrorsAreNotRetried() {
        server.always(Answer.error(404, "not_found", "no capsule cl-x"));
        assertThrows(WrennNotFoundException.class, () -> client.capsules().get("cl-x"));
        assertEquals(1, server.received().size());
    }

    @ParameterizedTest
    @CsvSource({"429, rate_limited", "503, no_capacity"})
    void retryAfterIsHonoured(int status, String code) {
        server.then(Answer.error(status, code, "not now").withHeader("Retry-After", "1"), Answer.json(200, "[]"));
        assertEquals(0, client.capsules().list().size());
        long gap = server.received().get(1).atNanos() - server.received().get(0).atNanos();
        assertTrue(gap >= Duration.ofMillis(950).toNanos(), "second attempt came after " + gap / 1_000_000 + " ms");
    }

    @Test
    void aRetryAfterBeyondTheCallsTimeoutFailsAtOnceInsteadOfWaiting() {
        try (WrennClient quick = client(server.baseUrl(), 3, Duration.ofSeconds(2))) {
            server.always(Answer.error(429, "rate_limited", "slow down").withHeader("Retry-After", "30"));
            long t0 = System.nanoTime();
            WrennRateLimitException e = assertThrows(WrennRateLimitException.class, () -> quick.capsules().list());
            assertEquals(Duration.ofSeconds(30), e.retryAfter());
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(1).toNanos());
            assertEquals(1, server.received().size());
        }
    }

    @Test
    void maxRetriesZeroSendsOnce() {
        try (WrennClient once = client(server.baseUrl(), 0, Duration.ofSeconds(5))) {
            server.always(Answer.error(503, "no_capacity", "full"));
            assertThrows(WrennNoCapacityException.class, () -> once.capsules().list());
            assertEquals(1, server.received().size());
        }
    }

    @Test
    void anUnreachableServerIsAConnectionErrorNamingWhereAfterRetries() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (WrennClient nowhere = WrennClient.builder().apiKey("wrn_test").baseUrl("http://127.0.0.1:" + port + "/api")
                .retryDelays(Duration.ofMillis(100), Duration.ofMillis(100)).maxRetries(2).build()) {
            long t0 = System.nanoTime();
            WrennConnectionException e = assertThrows(WrennConnectionException.class, () -> nowhere.capsules().list());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals("connection_error", e.code());
            assertEquals(0, e.statusCode());
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
            assertTrue(ms >= 100, "two retries waited at least 2 x 50 ms, took " + ms + " ms");
        }
    }
}
