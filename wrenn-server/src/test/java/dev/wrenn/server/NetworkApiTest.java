package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.server.Api.Response;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A capsule's network settings through the API (api.md §2, §4, §8, §9) over the in-memory host,
 * which records the policy each capsule was given: create, read back, validation, changes, and
 * a restart of the server.
 */
class NetworkApiTest {
    private static final String DEFAULT_NETWORK = "{\"allow_internet\":true,\"allow_out\":[],\"deny_out\":[]}";

    private InMemoryServer server;
    private InMemoryHost host;
    private Api api;

    @BeforeEach
    void start() {
        server = InMemoryServer.start();
        host = server.host();
        api = server.api();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aCapsuleCreatedWithoutNetworkFieldsHasTheDefaults() {
        JsonNode c = api.post("/capsules?wait=true", "{}").json();
        assertEquals(DEFAULT_NETWORK, c.get("network").toString());
        assertEquals("public", c.get("port_access").asText());
        assertTrue(c.get("traffic_token").isNull(), "a public capsule has no token");
        assertFalse(c.get("auto_resume").asBoolean());
        assertEquals(NetworkPolicy.DEFAULT, host.policy(c.get("id").asText()), "the host got the default policy");
    }

    @Test
    void createKeepsTheNetworkNormalizedAndGetAndListShowIt() {
        Response r = api.post("/capsules?wait=true", "{\"network\":{\"allow_internet\":false,"
                + "\"allow_out\":[\"10.0.0.7\",\"PyPI.org\",\"*.githubusercontent.com\"],\"deny_out\":[\"10.0.0.0/8\"]},"
                + "\"port_access\":\"token\",\"auto_resume\":true}");
        assertEquals(201, r.status(), r::toString);
        JsonNode c = r.json();
        String id = c.get("id").asText();
        assertEquals("{\"allow_internet\":false,\"allow_out\":[\"10.0.0.7/32\",\"pypi.org\",\"*.githubusercontent.com\"],"
                + "\"deny_out\":[\"10.0.0.0/8\"]}", c.get("network").toString());
        assertEquals("token", c.get("port_access").asText());
        assertTrue(c.get("traffic_token").asText().matches("[0-9a-f]{48}"), c::toString);
        assertTrue(c.get("auto_resume").asBoolean());
        assertEquals(c, api.capsule(id), "GET shows what create answered");
        assertEquals(c, api.get("/capsules").json().get(0), "the listing too");
        NetworkPolicy onHost = host.policy(id);
        assertFalse(onHost.allowInternet());
        assertEquals(List.of("10.0.0.7/32", "pypi.org", "*.githubusercontent.com"), onHost.allowOutText());

        String other = api.createRunning("{\"port_access\":\"token\"}");
        assertNotEquals(c.get("traffic_token").asText(), api.capsule(other).get("traffic_token").asText(),
                "every capsule has its own token");
    }

    @Test
    void invalidNetworkFieldsAre400NamingTheValue() {
        Map<String, String> cases = Map.of(
                "{\"network\":{\"allow_out\":[\"10.0.0.0/33\"]}}",
                "network.allow_out: '10.0.0.0/33' has a prefix length that is not 0..32",
                "{\"network\":{\"deny_out\":[\"exa mple.com\"]}}", "network.deny_out: 'exa mple.com'",
                "{\"network\":{\"allow_out\":[\"2001:db8::/32\"]}}", "'2001:db8::/32' is IPv6",
                "{\"network\":{\"allow_internet\":\"no\"}}", "network.allow_internet must be true or false",
                "{\"network\":{\"allow_out\":\"10.0.0.0/8\"}}", "network.allow_out must be an array of strings",
                "{\"network\":[]}", "network must be an object",
                "{\"port_access\":\"private\"}", "port_access: 'private' is not one of public, token",
                "{\"auto_resume\":1}", "auto_resume must be true or false");
        cases.forEach((body, message) -> {
            Response r = api.post("/capsules", body);
            assertEquals(400, r.status(), body + " → " + r);
            assertEquals("invalid_request", r.errorCode());
            assertTrue(r.message().contains(message), body + " → " + r.message());
        });
        assertEquals("[]", api.get("/capsules").text(), "nothing was created");
    }

    @Test
    void putNetworkReplacesTheWholePolicyOfARunningCapsule() {
        String id = api.createRunning("{\"network\":{\"allow_internet\":false,\"allow_out\":[\"1.2.3.4\"]},"
                + "\"port_access\":\"token\",\"auto_resume\":true}");
        String token = api.capsule(id).get("traffic_token").asText();
        Response r = api.send("PUT", "/capsules/" + id + "/network", "application/json",
                "{\"deny_out\":[\"Example.com\"]}".getBytes());
        assertEquals(200, r.status(), r::toString);
        assertEquals("{\"allow_internet\":true,\"allow_out\":[],\"deny_out\":[\"example.com\"]}",
                r.json().get("network").toString(), "omitted fields take their defaults");
        assertEquals(token, r.json().get("traffic_token").asText(), "access and token are not part of the policy");
        assertTrue(r.json().get("auto_resume").asBoolean());
        assertEquals(List.of("example.com"), host.policy(id).denyOutText());
        assertEquals(r.json(), api.capsule(id));
    }

    @Test
    void putNetworkWorksOnAPausedCapsuleAndIs409OnAStoppedOne() {
        String id = api.createRunning();
        assertEquals(200, api.post("/capsules/" + id + "/pause").status());
        Response paused = api.send("PUT", "/capsules/" + id + "/network", "application/json",
                "{\"allow_internet\":false}".getBytes());
        assertEquals(200, paused.status(), paused::toString);
        assertEquals("paused", paused.json().get("status").asText());
        assertFalse(host.policy(id).allowInternet());

        assertEquals(204, api.delete("/capsules/" + id).status());
        Response stopped = api.send("PUT", "/capsules/" + id + "/network", "application/json", "{}".getBytes());
        assertEquals(409, stopped.status(), stopped::toString);
        assertEquals("invalid_state", stopped.errorCode());
        assertTrue(stopped.message().contains("stopped"), stopped.message());
    }

    @Test
    void putNetworkValidatesTheIdAndTheBodyAndHidesOtherTeams() {
        String id = api.createRunning();
        Response bad = api.send("PUT", "/capsules/" + id + "/network", "application/json",
                "{\"allow_out\":[\"300.1.1.1\"]}".getBytes());
        assertEquals(400, bad.status(), bad::toString);
        assertTrue(bad.message().contains("allow_out: '300.1.1.1'"), bad.message());
        assertEquals(NetworkPolicy.DEFAULT, host.policy(id), "a refused policy never reaches the host");
        assertEquals(400, api.send("PUT", "/capsules/cl-nope/network", "application/json", "{}".getBytes()).status());
        var keys = server.server().keys();
        String otherKey = keys.create(keys.team("other").id(), "k").secret();
        Response other = api.withKey(otherKey).send("PUT", "/capsules/" + id + "/network", "application/json", "{}".getBytes());
        assertEquals(404, other.status(), other::toString);
    }

    @Test
    void theNetworkSettingsSurviveARestartOfTheServer() throws IOException {
        String id = api.createRunning("{\"network\":{\"deny_out\":[\"169.254.0.0/16\"]},\"port_access\":\"token\","
                + "\"auto_resume\":true}");
        api.send("PUT", "/capsules/" + id + "/network", "application/json", "{\"allow_out\":[\"10.9.0.0/16\"]}".getBytes());
        JsonNode before = api.capsule(id);
        server.restart();
        api = server.api();
        JsonNode after = api.capsule(id);
        assertEquals(before.get("network"), after.get("network"));
        assertEquals(before.get("traffic_token"), after.get("traffic_token"));
        assertEquals("token", after.get("port_access").asText());
        assertTrue(after.get("auto_resume").asBoolean());
    }
}
