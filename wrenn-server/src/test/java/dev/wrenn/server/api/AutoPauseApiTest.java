package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.server.Api;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.TestServer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Inactivity auto-pause (api.md §4): idle past timeout_sec → the pause starts within 2 s (it shows
 * once the pause itself is done, which the allowance below covers), with the reason.
 */
class AutoPauseApiTest {
    private static Api api;

    @BeforeAll
    static void up() {
        TestServer.awaitTemplates();
        api = TestServer.newTeam();
    }

    /** What a pause itself may take on a loaded 2-core machine under TCG. */
    private static final double PAUSE_ALLOWANCE_S = 3;

    @Test
    void anIdleCapsuleIsPausedAfterItsTimeoutAndResumesWithAFreshClock() {
        String id = api.createRunning("{\"timeout_sec\":2}");
        try {
            long t0 = System.nanoTime();
            JsonNode paused = api.awaitStatus(id, "paused", Duration.ofSeconds(20));
            double waited = (System.nanoTime() - t0) / 1e9;
            assertEquals("inactivity_timeout", paused.get("status_reason").asText());
            assertTrue(waited >= 1.0 && waited <= 2 + 2 + PAUSE_ALLOWANCE_S, "paused " + waited + " s after it went idle");

            Response resumed = api.post("/capsules/" + id + "/resume");
            assertEquals(200, resumed.status());
            assertTrue(resumed.json().get("status_reason").isNull(), "a resume clears the reason");
            Api.sleepFor(Duration.ofMillis(1000));
            assertEquals("running", api.capsule(id).get("status").asText(), "paused time does not count");
            api.awaitStatus(id, "paused", Duration.ofSeconds(20));
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void pingsAndLongCommandsKeepACapsuleAwake() {
        String id = api.createRunning("{\"timeout_sec\":2}");
        try {
            for (int i = 0; i < 4; i++) {
                Api.sleepFor(Duration.ofMillis(1000));
                assertEquals(204, api.post("/capsules/" + id + "/ping").status(), "still running after " + i + " pings");
            }
            CompletableFuture<Response> longExec = CompletableFuture.supplyAsync(
                    () -> api.exec(id, "{\"cmd\":\"sleep\",\"args\":[\"5\"]}"));
            Response r = longExec.join();
            assertEquals(200, r.status(), "a command longer than the timeout is not cut by a pause: " + r);
            assertEquals(0, r.json().get("exit_code").asInt());
            assertEquals("running", api.capsule(id).get("status").asText());
        } finally {
            api.destroyQuietly(id);
        }
    }
}
