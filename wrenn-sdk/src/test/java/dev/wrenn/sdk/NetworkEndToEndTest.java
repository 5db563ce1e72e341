package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.server.InMemoryHost;
import dev.wrenn.server.InMemoryServer;
import dev.wrenn.server.WebService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Network settings and port URLs through the SDK, against a real server over the in-memory host
 * (which records the policy each capsule was given and maps a port to a local service).
 */
class NetworkEndToEndTest {
    private InMemoryServer server;
    private InMemoryHost host;
    private WrennClient client;

    @BeforeEach
    void start() {
        server = InMemoryServer.start();
        host = server.host();
        // by name, as a user's would be: port URLs are the base URL's host with a label in front
        client = WrennClient.builder().apiKey(server.key()).baseUrl("http://localhost:" + server.port() + "/api").build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void getUrlHasThePythonSdksForm() {
        String id = "cl-0123456789abcdefghijklmno";
        assertEquals("ws://8000-" + id + ".localhost:8080", Capsule.portUrl(URI.create("http://localhost:8080/api"), id, 8000));
        assertEquals("wss://3000-" + id + ".wrenn.example.com", Capsule.portUrl(URI.create("https://wrenn.example.com/api"), id, 3000));
        assertThrows(IllegalArgumentException.class, () -> Capsule.portUrl(URI.create("http://localhost:8080/api"), id, 0));
        assertThrows(IllegalArgumentException.class, () -> Capsule.portUrl(URI.create("http://localhost:8080/api"), id, 65536));
    }

    @Test
    void aCapsuleCreatedWithNetworkOptionsShowsThemNormalized() {
        CapsuleInfo c = client.capsules().create(CreateCapsuleParams.builder().allowInternet(false)
                .allowOut("PyPI.org", "10.0.0.7").denyOut("10.0.0.0/8").portAccess(PortAccess.TOKEN).autoResume(true).build(), true);
        assertEquals(new NetworkPolicy(false, List.of("pypi.org", "10.0.0.7/32"), List.of("10.0.0.0/8")), c.network());
        assertEquals(PortAccess.TOKEN, c.portAccess());
        assertTrue(c.trafficToken().matches("[0-9a-f]{48}"), c::toString);
        assertTrue(c.autoResume());
        assertEquals(c, client.capsules().get(c.id()));
        assertFalse(host.policy(c.id()).allowInternet(), "the host got the policy");

        CapsuleInfo plain = client.capsules().create(CreateCapsuleParams.defaults(), true);
        assertEquals(NetworkPolicy.defaults(), plain.network());
        assertEquals(PortAccess.PUBLIC, plain.portAccess());
        assertNull(plain.trafficToken());
        assertFalse(plain.autoResume());
    }

    @Test
    void aBadEntryIsAValidationErrorNamingIt() {
        WrennValidationException e = assertThrows(WrennValidationException.class, () -> client.capsules().create(
                CreateCapsuleParams.builder().allowOut("10.0.0.0/33").build()));
        assertTrue(e.getMessage().contains("network.allow_out: '10.0.0.0/33'"), e.getMessage());
    }

    @Test
    void updateNetworkReplacesThePolicyOfARunningOrPausedCapsuleOnly() {
        try (Capsule capsule = Capsule.create(client, CreateCapsuleParams.defaults(), true)) {
            CapsuleInfo changed = capsule.updateNetwork(new NetworkPolicy(false, List.of("example.com"), List.of()));
            assertEquals(new NetworkPolicy(false, List.of("example.com"), List.of()), changed.network());
            capsule.pause();
            CapsuleInfo async = client.async().capsules().updateNetwork(capsule.id(), NetworkPolicy.defaults()).join();
            assertEquals(NetworkPolicy.defaults(), async.network());
            assertEquals(CapsuleStatus.PAUSED, async.status());
            capsule.destroy();
            assertThrows(WrennConflictException.class, () -> capsule.updateNetwork(NetworkPolicy.defaults()));
        }
    }

    @Test
    void getUrlReachesAServiceInTheCapsule() throws Exception {
        try (WebService service = new WebService(); Capsule capsule = Capsule.create(client, CreateCapsuleParams.defaults(), true)) {
            host.mapPort(capsule.id(), 8000, service.address());
            String url = capsule.getUrl(8000);
            assertEquals("ws://8000-" + capsule.id() + ".localhost:" + server.port(), url);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    url.replaceFirst("^ws", "http") + "/hello")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r::body);
            assertEquals("hello", r.body());
        }
    }
}
