package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.server.Api;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The optional limit by reservation (503 no_capacity) and the per-team capsule limit (429 with
 * Retry-After). Admission by real use is MemoryPressureTest's.
 */
class LimitsApiTest {
    private static Api api;

    @BeforeAll
    static void up() {
        TestServer.awaitTemplates();
        api = TestServer.newTeam();
    }

    @Test
    void aCapsuleAskingMoreThanTheReservationLimitIs503() {
        Api fresh = TestServer.newTeam();
        Response r = fresh.post("/capsules", "{\"memory_mb\":16384}");
        assertEquals(503, r.status(), r::toString);
        assertEquals("no_capacity", r.errorCode());
        assertTrue(r.message().contains("16384"), r.message());
        assertEquals(List.of(), CapsuleApiTest.ids(fresh.get("/capsules")), "nothing was recorded");
    }

    @Test
    void aTeamAtItsLimitIsRateLimitedOnCreateAndResume() {
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < TestServer.TEAM_LIMIT; i++) ids.add(api.createRunning());
            Response r = api.post("/capsules", "{}");
            assertEquals(429, r.status(), r::toString);
            assertEquals("rate_limited", r.errorCode());
            assertTrue(Integer.parseInt(r.headers().firstValue("Retry-After").orElse("0")) > 0, "Retry-After is set");

            assertEquals(200, api.post("/capsules/" + ids.get(0) + "/pause").status());
            ids.add(api.createRunning());
            Response resume = api.post("/capsules/" + ids.get(0) + "/resume");
            assertEquals(429, resume.status(), resume::toString);
            assertTrue(resume.headers().firstValue("Retry-After").isPresent());
            assertEquals("paused", api.capsule(ids.get(0)).get("status").asText());

            assertEquals(204, api.delete("/capsules/" + ids.get(1)).status());
            assertEquals(200, api.post("/capsules/" + ids.get(0) + "/resume").status(), "room again after a destroy");
        } finally {
            ids.forEach(api::destroyQuietly);
        }
    }
}
