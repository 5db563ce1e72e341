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

/** api.md §1 authentication and §7 API keys. */
class KeysApiTest {
    private static Api api;

    @BeforeAll
    static void up() {
        api = TestServer.newTeam();
    }

    @Test
    void requestsWithoutAValidKeyAre401WithTheErrorEnvelope() {
        Api none = api.withKey(null);
        for (Api a : List.of(none, api.withKey("wrn_0123"), api.withKey("wrn_" + "0".repeat(32)),
                api.withKey("WRN_" + "A".repeat(32)), api.withKey("Bearer x"))) {
            for (String path : List.of("/capsules", "/snapshots", "/api-keys", "/capsules/cl-" + "a".repeat(25))) {
                Response r = a.get(path);
                assertEquals(401, r.status(), path + " " + r);
                assertEquals("unauthorized", r.errorCode());
            }
        }
        Response r = none.post("/capsules", "{}");
        assertEquals(401, r.status());
        assertTrue(r.message().contains("X-API-Key"), r.message());
    }

    @Test
    void aNewKeyIsShownOnceWorksAndIsListedWithoutItsSecret() {
        Response created = api.post("/api-keys", "{\"name\":\"ci runner ✓\"}");
        assertEquals(201, created.status(), created::toString);
        JsonNode k = created.json();
        assertEquals(List.of("id", "name", "key_prefix", "created_at", "last_used_at", "key"), fields(k));
        assertTrue(k.get("id").asText().matches("key-[0-9a-z]{25}"), k::toString);
        assertEquals("ci runner ✓", k.get("name").asText());
        assertTrue(k.get("key").asText().matches("wrn_[0-9a-f]{32}"));
        assertTrue(k.get("key").asText().startsWith(k.get("key_prefix").asText()));
        assertTrue(k.get("created_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"));
        assertTrue(k.get("last_used_at").isNull());

        Api second = api.withKey(k.get("key").asText());
        assertEquals(200, second.get("/capsules").status());

        Response list = api.get("/api-keys");
        assertEquals(200, list.status());
        JsonNode first = list.json().get(0);
        assertEquals(k.get("id").asText(), first.get("id").asText(), "newest first");
        assertFalse(first.has("key"), "the secret is never listed");
        assertFalse(first.get("last_used_at").isNull(), "it was used just now");
        list.json().forEach(e -> assertFalse(e.has("key")));
    }

    @Test
    void aRevokedKeyIsRefusedFromThenOn() {
        JsonNode k = api.post("/api-keys", "{\"name\":\"short-lived\"}").json();
        Api victim = api.withKey(k.get("key").asText());
        assertEquals(200, victim.get("/capsules").status());
        assertEquals(204, api.delete("/api-keys/" + k.get("id").asText()).status());
        Response r = victim.get("/capsules");
        assertEquals(401, r.status());
        assertEquals("unauthorized", r.errorCode());
        Response again = api.delete("/api-keys/" + k.get("id").asText());
        assertEquals(404, again.status());
        assertEquals("not_found", again.errorCode());
        List<String> ids = new ArrayList<>();
        api.get("/api-keys").json().forEach(e -> ids.add(e.get("id").asText()));
        assertFalse(ids.contains(k.get("id").asText()));
    }

    @Test
    void keysOfAnotherTeamAreNotFoundAndBadIdsAreInvalid() {
        Api other = TestServer.newTeam();
        String theirs = other.post("/api-keys", "{\"name\":\"theirs\"}").json().get("id").asText();
        Response r = api.delete("/api-keys/" + theirs);
        assertEquals(404, r.status());
        assertEquals("not_found", r.errorCode());
        assertEquals(200, other.withKey(other.key()).get("/api-keys").status());
        Response bad = api.delete("/api-keys/not-a-key");
        assertEquals(400, bad.status());
        assertEquals("invalid_request", bad.errorCode());
    }

    @Test
    void keyNamesAreValidated() {
        for (String body : List.of("{}", "{\"name\":\"\"}", "{\"name\":\"   \"}", "{\"name\":42}", "{\"name\":null}",
                "{\"name\":\"" + "x".repeat(201) + "\"}", "{\"name\":\"a\\u0000b\"}", "[\"name\"]", "not json")) {
            Response r = api.post("/api-keys", body);
            assertEquals(400, r.status(), body + " -> " + r);
            assertEquals("invalid_request", r.errorCode());
        }
    }

    @Test
    void theV1AliasServesTheSameApi() {
        Response a = api.get("/api/v1/api-keys");
        Response b = api.get("/v1/api-keys");
        assertEquals(200, a.status());
        assertEquals(a.json(), b.json());
        assertEquals(401, api.withKey(null).get("/v1/capsules").status());
    }

    static List<String> fields(JsonNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
