package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.server.Api;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Capsule endpoints (api.md §2–4) with real capsules: one test per row of the lifecycle table. */
class CapsuleApiTest {
    private static final List<String> FIELDS = List.of("id", "status", "template", "vcpus", "memory_mb", "timeout_sec",
            "created_at", "started_at", "last_active_at", "last_updated", "status_reason", "metadata", "network", "port_access",
            "traffic_token", "auto_resume");
    private static final String TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";
    private static Api api;

    @BeforeAll
    static void up() {
        TestServer.awaitTemplates();
        api = TestServer.newTeam();
    }

    @Test
    void createAnswers201AtOnceWithTheDefaultsAndBootsInTheBackground() {
        Response r = api.post("/capsules", null);
        assertEquals(201, r.status(), r::toString);
        JsonNode c = r.json();
        String id = c.get("id").asText();
        try {
            assertEquals(FIELDS, KeysApiTest.fields(c));
            assertTrue(id.matches("cl-[0-9a-z]{25}"), id);
            assertTrue(Set.of("pending", "starting").contains(c.get("status").asText()), c::toString);
            assertEquals("minimal", c.get("template").asText());
            assertEquals(1, c.get("vcpus").asInt());
            assertEquals(512, c.get("memory_mb").asInt());
            assertEquals(0, c.get("timeout_sec").asInt());
            assertTrue(c.get("created_at").asText().matches(TIME));
            assertTrue(c.get("last_updated").asText().matches(TIME));
            assertTrue(c.get("started_at").isNull());
            assertTrue(c.get("last_active_at").isNull());
            assertTrue(c.get("status_reason").isNull());
            assertEquals(0, c.get("metadata").size());
            JsonNode running = api.awaitStatus(id, "running", Duration.ofSeconds(60));
            assertTrue(running.get("started_at").asText().matches(TIME));
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void createWithWaitAnswersWhenRunningAndKeepsEveryField() {
        Response r = api.post("/capsules?wait=true",
                "{\"template\":\"minimal\",\"vcpus\":1,\"memory_mb\":512,\"timeout_sec\":300,\"metadata\":{\"owner\":\"ünïcødé\"},\"unknown\":1}");
        assertEquals(201, r.status(), r::toString);
        JsonNode c = r.json();
        try {
            assertEquals("running", c.get("status").asText());
            assertEquals(300, c.get("timeout_sec").asInt());
            assertEquals("ünïcødé", c.get("metadata").get("owner").asText());
            assertFalse(c.get("started_at").isNull());
            assertEquals(c, api.capsule(c.get("id").asText()), "GET shows what create answered");
        } finally {
            api.destroyQuietly(c.get("id").asText());
        }
    }

    @Test
    void listShowsEveryStatusNewestFirstWithFilters() {
        Api team = TestServer.newTeam();
        Response empty = team.get("/capsules");
        assertEquals(200, empty.status());
        assertEquals("[]", empty.text());
        String a = team.createRunning("{\"metadata\":{\"role\":\"db\"}}");
        String b = team.createRunning("{\"metadata\":{\"role\":\"web\"}}");
        String c = team.createRunning();
        assertEquals(200, team.post("/capsules/" + b + "/pause").status());
        assertEquals(204, team.delete("/capsules/" + c).status());
        assertEquals(List.of(c, b, a), ids(team.get("/capsules")));
        assertEquals(List.of(a), ids(team.get("/capsules?status=running")));
        assertEquals(List.of(b, a), ids(team.get("/capsules?status=running,paused")));
        assertEquals(List.of(c), ids(team.get("/capsules?status=stopped")));
        assertEquals(List.of(b), ids(team.get("/capsules?metadata.role=web")));
        assertEquals(List.of(), ids(team.get("/capsules?metadata.role=web&status=running")));
        team.destroyQuietly(a);
        team.destroyQuietly(b);
    }

    @Test
    void anotherTeamsCapsuleIsNotFoundForEveryOperation() {
        String id = api.createRunning();
        try {
            Api other = TestServer.newTeam();
            for (Response r : List.of(other.get("/capsules/" + id), other.post("/capsules/" + id + "/pause"),
                    other.post("/capsules/" + id + "/resume"), other.post("/capsules/" + id + "/ping"),
                    other.delete("/capsules/" + id), other.exec(id, "{\"cmd\":\"true\"}"),
                    other.get("/capsules/" + id + "/processes"),
                    other.post("/capsules/" + id + "/files/read", "{\"path\":\"/etc/hostname\"}"),
                    other.post("/snapshots", "{\"capsule_id\":\"" + id + "\"}"))) {
                assertEquals(404, r.status(), r::toString);
                assertEquals("not_found", r.errorCode());
            }
            assertFalse(ids(other.get("/capsules")).contains(id));
            assertEquals("running", api.capsule(id).get("status").asText(), "untouched by the other team");
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void aRunningCapsulePausesPingsAndIsDestroyedButNotResumed() {
        String id = api.createRunning();
        try {
            assertEquals(204, api.post("/capsules/" + id + "/ping").status());
            assertFalse(api.capsule(id).get("last_active_at").isNull(), "a ping is activity");
            conflict(api.post("/capsules/" + id + "/resume"), "running");
            Response paused = api.post("/capsules/" + id + "/pause");
            assertEquals(200, paused.status(), paused::toString);
            assertEquals("paused", paused.json().get("status").asText());
            assertTrue(paused.json().get("status_reason").isNull(), "a user's pause has no reason");
            assertEquals(FIELDS, KeysApiTest.fields(paused.json()));
            assertTrue(api.host().vmmPid(id) == 0, "no VMM runs for a paused capsule");
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void aPausedCapsuleResumesAndIsDestroyedButNotPausedPingedOrUsed() {
        String id = api.createRunning();
        try {
            JsonNode before = api.post("/capsules/" + id + "/pause").json();
            conflict(api.post("/capsules/" + id + "/pause"), "paused");
            conflict(api.post("/capsules/" + id + "/ping"), "paused");
            conflict(api.exec(id, "{\"cmd\":\"true\"}"), "paused");
            conflict(api.post("/capsules/" + id + "/files/read", "{\"path\":\"/etc/hostname\"}"), "paused");
            conflict(api.get("/capsules/" + id + "/processes"), "paused");
            Response resumed = api.post("/capsules/" + id + "/resume");
            assertEquals(200, resumed.status(), resumed::toString);
            assertEquals("running", resumed.json().get("status").asText());
            assertTrue(resumed.json().get("started_at").asText().compareTo(before.get("started_at").asText()) >= 0);
            assertEquals(200, api.exec(id, "{\"cmd\":\"true\"}").status());
            api.post("/capsules/" + id + "/pause");
            assertEquals(204, api.delete("/capsules/" + id).status());
            assertEquals("stopped", api.capsule(id).get("status").asText());
            assertTrue(api.host().capsule(id).isEmpty(), "a destroyed paused capsule leaves no files");
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void aStoppedCapsuleKeepsItsRecordAndRefusesEverythingButDestroy() {
        String id = api.createRunning();
        assertEquals(204, api.delete("/capsules/" + id).status());
        JsonNode c = api.capsule(id);
        assertEquals("stopped", c.get("status").asText());
        assertTrue(ids(api.get("/capsules")).contains(id), "listing shows stopped capsules");
        assertEquals(204, api.delete("/capsules/" + id).status(), "destroying again is a no-op");
        for (String op : List.of("pause", "resume", "ping")) conflict(api.post("/capsules/" + id + "/" + op), "stopped");
        conflict(api.exec(id, "{\"cmd\":\"true\"}"), "stopped");
        conflict(api.post("/snapshots", "{\"capsule_id\":\"" + id + "\"}"), "stopped");
        assertEquals(c, api.capsule(id));
    }

    @Test
    void aBootingCapsuleRefusesLifecycleOperationsAndIsAbortedByDestroy() {
        // an unusual size makes the host boot a template variant first: seconds in pending/starting
        Response r = api.post("/capsules", "{\"vcpus\":2,\"memory_mb\":" + (600 + (int) (Math.random() * 200)) + "}");
        assertEquals(201, r.status(), r::toString);
        String id = r.json().get("id").asText();
        List<Response> answers = new ArrayList<>();
        for (String op : List.of("pause", "resume", "ping")) answers.add(api.post("/capsules/" + id + "/" + op));
        String status = api.capsule(id).get("status").asText();
        if (Set.of("pending", "starting").contains(status)) {
            answers.forEach(a -> conflict(a, "starting|pending"));
            assertEquals(204, api.delete("/capsules/" + id).status());
            assertEquals("stopped", api.capsule(id).get("status").asText());
            Api.sleepFor(Duration.ofSeconds(1));
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (api.host().capsule(id).isPresent() && System.nanoTime() < deadline) Api.sleepFor(Duration.ofMillis(200));
            assertTrue(api.host().capsule(id).isEmpty(), "the VM its boot made is thrown away");
            assertEquals("stopped", api.capsule(id).get("status").asText(), "it stays stopped after the boot ends");
        } else {
            api.destroyQuietly(id);
            throw new AssertionError("the capsule was " + status + " before the test could act on it");
        }
    }

    @Test
    void execWaitsForABootingCapsule() {
        Response r = api.post("/capsules", "{}");
        String id = r.json().get("id").asText();
        try {
            Response exec = api.exec(id, "{\"cmd\":\"echo\",\"args\":[\"ready\"]}");
            assertEquals(200, exec.status(), exec::toString);
            assertEquals("ready\n", exec.json().get("stdout").asText());
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void aVmThatDiesOnItsOwnLeavesAnErrorCapsuleThatCanOnlyBeDestroyed() throws Exception {
        String id = api.createRunning();
        long pid = api.host().vmmPid(id);
        assertNotEquals(0, pid);
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        JsonNode c = api.awaitStatus(id, "error", Duration.ofSeconds(5));   // the promise: within 5 s
        assertEquals("vm_exited", c.get("status_reason").asText());
        assertEquals(0, api.host().vmmPid(id), "the host let go of the VM");
        for (String op : List.of("pause", "resume", "ping")) conflict(api.post("/capsules/" + id + "/" + op), "error");
        conflict(api.exec(id, "{\"cmd\":\"true\"}"), "error");
        assertEquals(204, api.delete("/capsules/" + id).status());
        assertEquals("error", api.capsule(id).get("status").asText(), "destroying a failed capsule is a no-op");
        assertTrue(api.host().capsule(id).isEmpty(), "an error capsule holds no files");
    }

    private static void conflict(Response r, String statusWord) {
        assertEquals(409, r.status(), r::toString);
        assertEquals("invalid_state", r.errorCode());
        assertTrue(r.message().matches("(?s).*(" + statusWord + ").*"), "the message names the status: " + r.message());
    }

    static List<String> ids(Response r) {
        assertEquals(200, r.status(), r::toString);
        List<String> ids = new ArrayList<>();
        r.json().forEach(c -> ids.add(c.get("id").asText()));
        return ids;
    }
}
