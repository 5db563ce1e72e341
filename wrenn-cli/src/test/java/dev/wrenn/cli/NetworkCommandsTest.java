package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.server.InMemoryServer;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code wrenn capsules create} network flags, {@code capsules network} and {@code capsules url}, against a real server over the in-memory host. */
class NetworkCommandsTest {
    private InMemoryServer server;
    private Map<String, String> env;

    @BeforeEach
    void start() {
        server = InMemoryServer.start();
        env = Map.of("WRENN_API_KEY", server.key(), "WRENN_BASE_URL", "http://localhost:" + server.port() + "/api");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CliRun wrenn(String... args) {
        return CliRun.of(Main.commandLine(new CliEnvironment(env::get, false)), args);
    }

    private CliRun ok(String... args) {
        CliRun r = wrenn(args);
        assertEquals(0, r.exit(), r::toString);
        return r;
    }

    @Test
    void createTakesTheNetworkFlagsAndNetworkReplacesThePolicy() {
        JsonNode c = ok("capsules", "create", "--json", "--no-internet", "--allow-out", "PyPI.org", "--allow-out", "10.0.0.7",
                "--deny-out", "10.0.0.0/8", "--port-access", "token", "--auto-resume").json();
        assertEquals("{\"allow_internet\":false,\"allow_out\":[\"pypi.org\",\"10.0.0.7/32\"],\"deny_out\":[\"10.0.0.0/8\"]}",
                c.get("network").toString());
        assertEquals("token", c.get("port_access").asText());
        assertTrue(c.get("traffic_token").asText().matches("[0-9a-f]{48}"), c::toString);
        assertTrue(c.get("auto_resume").asBoolean());
        String id = c.get("id").asText();

        JsonNode changed = ok("capsules", "network", id, "--json", "--deny-out", "example.com").json();
        assertEquals("{\"allow_internet\":true,\"allow_out\":[],\"deny_out\":[\"example.com\"]}", changed.get("network").toString());
        assertEquals(c.get("traffic_token"), changed.get("traffic_token"), "the policy changes, not the access");
        assertTrue(ok("capsules", "get", id).out().contains("deny_out=[example.com]"), "the text view shows the policy");
    }

    @Test
    void badNetworkValuesAreErrorsNamingThem() {
        CliRun badAccess = wrenn("capsules", "create", "--port-access", "private");
        assertEquals(2, badAccess.exit(), badAccess::toString);
        assertTrue(badAccess.err().contains("'private' is not one of public, token"), badAccess::toString);
        CliRun badCidr = wrenn("capsules", "create", "--allow-out", "10.0.0.0/33");
        assertEquals(1, badCidr.exit(), badCidr::toString);
        assertTrue(badCidr.err().contains("network.allow_out: '10.0.0.0/33'"), badCidr::toString);
    }

    @Test
    void urlPrintsThePortUrl() {
        String id = ok("capsules", "create", "--json").json().get("id").asText();
        assertEquals("http://8000-" + id + ".localhost:" + server.port(), ok("capsules", "url", id, "8000").out().strip());
        assertEquals("ws://3000-" + id + ".localhost:" + server.port(), ok("capsules", "url", id, "3000", "--ws").out().strip());
        assertEquals(2, wrenn("capsules", "url", id, "70000").exit());
    }
}
