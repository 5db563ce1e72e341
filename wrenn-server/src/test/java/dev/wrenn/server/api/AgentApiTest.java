package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.host.grpc.AgentCertificate;
import dev.wrenn.server.Api;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.TestServer;
import dev.wrenn.server.hosts.HostRegistry;
import dev.wrenn.server.hosts.RegisteredHost;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The host agents' endpoints: registration and heartbeats under the host's token only, bad
 * registrations refused with the field named, a silent host marked unreachable and ready again
 * at its next heartbeat, a removed host's token refused.
 */
class AgentApiTest {
    private static final String CAPACITY = "{\"cpus\":4,\"memory_total_mb\":8192,\"memory_free_mb\":6000,"
            + "\"vm_memory_mb\":100,\"vms\":1,\"warm_clones\":0,\"disk_free_mb\":50000}";
    private static Api api;
    private static HostRegistry hosts;

    @BeforeAll
    static void up() {
        api = TestServer.newTeam();
        hosts = TestServer.get().hosts();
    }

    private static Response post(String path, String token, String json) {
        HttpRequest.Builder b = api.withKey(null).request("/api/agent/v1/" + path)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) b.header("Authorization", "Bearer " + token);
        return api.send(b);
    }

    private static String registration(int port, String certificate) {
        return "{\"port\":" + port + ",\"certificate\":" + dev.wrenn.server.Json.MAPPER.valueToTree(certificate)
                + ",\"vmm\":\"qemu\",\"accelerator\":\"tcg\",\"capacity\":" + CAPACITY + "}";
    }

    @Test
    void anAgentRegistersHeartbeatsGoesSilentAndIsRemoved() {
        HostRegistry.NewHost added = hosts.add("edge-" + UUID.randomUUID().toString().substring(0, 8));
        String token = added.token();
        String pem = AgentCertificate.generate().pem();

        assertEquals(409, post("heartbeat", token, "{\"capacity\":" + CAPACITY + "}").status(), "not registered yet");
        assertEquals(401, post("register", null, registration(7443, pem)).status());
        Response wrong = post("register", "wrh_" + "0".repeat(48), registration(7443, pem));
        assertEquals(401, wrong.status());
        assertEquals("unauthorized", wrong.errorCode());
        Response badPort = post("register", token, registration(70000, pem));
        assertEquals(400, badPort.status());
        assertTrue(badPort.message().contains("port"), badPort.message());
        Response badCert = post("register", token, registration(7443, "not a certificate"));
        assertEquals(400, badCert.status());
        assertTrue(badCert.message().contains("certificate"), badCert.message());
        Response noCapacity = post("register", token, "{\"port\":7443,\"certificate\":\"x\"}");
        assertEquals(400, noCapacity.status());

        Response registered = post("register", token, registration(7443, pem));
        assertEquals(200, registered.status(), registered::toString);
        JsonNode answer = registered.json();
        assertEquals(added.host().id(), answer.get("host_id").asText());
        assertEquals(5, answer.get("heartbeat_interval_sec").asInt());
        RegisteredHost h = hosts.find(added.host().name());
        assertEquals("ready", h.status());
        assertEquals("127.0.0.1:7443", h.address(), "the address the registration came from");
        assertEquals(pem, h.certificatePem());
        assertEquals(4, h.capacity().cpus());

        Api.sleepFor(Duration.ofMillis(5));
        hosts.markSilent(Duration.ZERO);
        assertEquals("unreachable", hosts.find(h.id()).status());
        assertEquals(200, post("heartbeat", token, "{\"capacity\":" + CAPACITY.replace("6000", "5000") + "}").status());
        RegisteredHost back = hosts.find(h.id());
        assertEquals("ready", back.status());
        assertEquals(5000, back.capacity().memoryFreeMb());

        hosts.drain(h.name(), RegisteredHost.Drain.PAUSE);
        assertTrue(post("heartbeat", token, "{\"capacity\":" + CAPACITY + "}").json().get("draining").asBoolean());
        hosts.remove(h.id());
        assertEquals(401, post("heartbeat", token, "{\"capacity\":" + CAPACITY + "}").status(), "a removed host's token");
    }
}
