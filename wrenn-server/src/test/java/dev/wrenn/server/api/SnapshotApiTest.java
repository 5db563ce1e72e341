package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.server.Api;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Snapshot templates (api.md §5) with real capsules. */
class SnapshotApiTest {
    private static final List<String> FIELDS = List.of("name", "type", "vcpus", "memory_mb", "size_bytes", "created_at",
            "source_capsule_id", "built_in");
    private static Api api;

    @BeforeAll
    static void up() {
        TestServer.awaitTemplates();
        api = TestServer.newTeam();
    }

    @Test
    void aRunningCapsuleBecomesATemplateAndKeepsRunningAndClonesStartWithItsFiles() {
        String source = api.createRunning();
        String clone = null;
        try {
            assertEquals(200, api.exec(source, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"echo kept > /root/state.txt\"]}").status());
            Response r = api.post("/snapshots", "{\"capsule_id\":\"" + source + "\",\"name\":\"with-state\"}");
            assertEquals(201, r.status(), r::toString);
            JsonNode t = r.json();
            assertEquals(FIELDS, KeysApiTest.fields(t));
            assertEquals("with-state", t.get("name").asText());
            assertEquals("snapshot", t.get("type").asText());
            assertEquals(1, t.get("vcpus").asInt());
            assertEquals(512, t.get("memory_mb").asInt());
            assertTrue(t.get("size_bytes").asLong() > 0);
            assertEquals(source, t.get("source_capsule_id").asText());
            assertFalse(t.get("built_in").asBoolean());

            assertEquals("running", api.capsule(source).get("status").asText());
            assertEquals(0, api.exec(source, "{\"cmd\":\"true\"}").json().get("exit_code").asInt(), "the source runs on");

            clone = api.createRunning("{\"template\":\"with-state\"}");
            JsonNode c = api.capsule(clone);
            assertEquals("with-state", c.get("template").asText());
            assertEquals("kept\n", api.exec(clone, "{\"cmd\":\"cat\",\"args\":[\"/root/state.txt\"]}").json().get("stdout").asText());
            assertEquals(clone + "\n", api.exec(clone, "{\"cmd\":\"hostname\"}").json().get("stdout").asText(),
                    "a clone has its own identity");

            Response mismatch = api.post("/capsules", "{\"template\":\"with-state\",\"vcpus\":2}");
            assertEquals(400, mismatch.status(), mismatch::toString);
            assertEquals("invalid_request", mismatch.errorCode());

            Response taken = api.post("/snapshots", "{\"capsule_id\":\"" + source + "\",\"name\":\"with-state\"}");
            assertEquals(409, taken.status());
            assertEquals("template_name_taken", taken.errorCode());
            Response replaced = api.post("/snapshots?overwrite=true", "{\"sandbox_id\":\"" + source + "\",\"name\":\"with-state\"}");
            assertEquals(201, replaced.status(), replaced::toString);

            assertEquals(204, api.delete("/snapshots/with-state").status());
            assertEquals(0, api.exec(clone, "{\"cmd\":\"true\"}").json().get("exit_code").asInt(),
                    "deleting a template never breaks a capsule made from it");
            assertEquals(200, api.post("/capsules/" + clone + "/pause").status());
            assertEquals(200, api.post("/capsules/" + clone + "/resume").status());
            Response gone = api.post("/capsules", "{\"template\":\"with-state\"}");
            assertEquals(404, gone.status());
            assertEquals(404, api.delete("/snapshots/with-state").status());
        } finally {
            api.destroyQuietly(source);
            if (clone != null) api.destroyQuietly(clone);
        }
    }

    @Test
    void aPausedCapsuleIsSnapshottedAndStaysPausedAndAStoppedOneIsRefused() {
        String id = api.createRunning();
        try {
            api.post("/capsules/" + id + "/pause");
            Response r = api.post("/snapshots", "{\"capsule_id\":\"" + id + "\"}");
            assertEquals(201, r.status(), r::toString);
            assertTrue(r.json().get("name").asText().matches("template-[0-9a-f]{8}"), r::toString);
            assertEquals("paused", api.capsule(id).get("status").asText());
            assertEquals(200, api.post("/capsules/" + id + "/resume").status(), "still resumable");
            api.delete("/snapshots/" + r.json().get("name").asText());
            api.delete("/capsules/" + id);
            Response stopped = api.post("/snapshots", "{\"capsule_id\":\"" + id + "\"}");
            assertEquals(409, stopped.status());
            assertEquals("invalid_state", stopped.errorCode());
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void listingShowsBuiltInsAndOnlyTheTeamsOwnNewestFirst() {
        String id = api.createRunning();
        Api other = TestServer.newTeam();
        try {
            api.post("/snapshots", "{\"capsule_id\":\"" + id + "\",\"name\":\"first\"}");
            api.post("/snapshots", "{\"capsule_id\":\"" + id + "\",\"name\":\"second\"}");
            List<String> all = names(api.get("/snapshots"));
            assertTrue(all.containsAll(List.of("minimal", "base-python", "first", "second")), all::toString);
            assertTrue(all.indexOf("second") < all.indexOf("first"), "newest first: " + all);
            assertEquals(List.of("second", "first"), names(api.get("/snapshots?type=snapshot")));
            List<String> base = names(api.get("/snapshots?type=base"));
            assertTrue(base.containsAll(List.of("minimal", "base-python")) && !base.contains("first"), base::toString);
            api.get("/snapshots?type=base").json().forEach(t -> {
                assertTrue(t.get("built_in").asBoolean());
                assertTrue(t.get("source_capsule_id").isNull());
            });

            assertFalse(names(other.get("/snapshots")).contains("first"), "another team's templates are not listed");
            assertEquals(404, other.post("/capsules", "{\"template\":\"first\"}").status());
            assertEquals(404, other.delete("/snapshots/first").status());
        } finally {
            api.delete("/snapshots/first");
            api.delete("/snapshots/second");
            api.destroyQuietly(id);
        }
    }

    private static List<String> names(Response r) {
        assertEquals(200, r.status(), r::toString);
        List<String> names = new ArrayList<>();
        r.json().forEach(t -> names.add(t.get("name").asText()));
        return names;
    }
}
