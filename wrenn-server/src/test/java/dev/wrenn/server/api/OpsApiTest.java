package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.wrenn.server.Api;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.TestServer;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Health, the OpenAPI document (kept in sync with the routes by this test) and metrics. */
class OpsApiTest {
    private static Api anonymous;

    @BeforeAll
    static void up() {
        anonymous = TestServer.newTeam().withKey(null);
    }

    @Test
    void healthNamesVersionVmmAndAcceleratorWithoutAKey() {
        Response r = anonymous.get("/api/health");
        assertEquals(200, r.status());
        JsonNode h = r.json();
        assertEquals("ok", h.get("status").asText());
        assertTrue(h.get("version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), h::toString);
        assertEquals("qemu", h.get("vmm").asText());
        assertTrue(Set.of("kvm", "tcg").contains(h.get("accelerator").asText()), h::toString);
    }

    /** The dashboard's hosts page: every host with its state and room, without what only operators need. */
    @Test
    void hostsAreListedWithTheirStateAndCapacityToAnyCaller() {
        assertEquals(401, anonymous.get("/api/v1/hosts").status());
        String name = "far-" + System.nanoTime();
        TestServer.get().hosts().add(name);
        try {
            JsonNode hosts = TestServer.newTeam().get("/api/v1/hosts").json();
            JsonNode embedded = hosts.get(0);
            assertEquals("ready", embedded.get("status").asText(), hosts::toString);
            assertTrue(embedded.get("embedded").asBoolean());
            assertEquals(Runtime.getRuntime().availableProcessors(), embedded.get("capacity").get("cpus").asInt());
            assertTrue(embedded.get("capacity").get("room").asLong() > 0, hosts::toString);
            JsonNode added = null;
            for (JsonNode h : hosts) if (h.get("name").asText().equals(name)) added = h;
            assertTrue(added != null, "the registered host is listed: " + hosts);
            assertEquals("new", added.get("status").asText(), "never registered by its agent");
            assertTrue(added.get("capacity").isNull(), "no capacity before its agent reports one");
            assertTrue(!hosts.toString().contains("address") && !hosts.toString().contains("certificate"), hosts::toString);
        } finally {
            TestServer.get().hosts().remove(name);
        }
    }

    /** The figures admission goes by, read from this machine: they must match what the kernel says. */
    @Test
    void healthShowsTheHostsCapacityAsTheKernelCountsIt() throws Exception {
        Api team = TestServer.newTeam();
        String id = team.createRunning();
        try {
            JsonNode c = anonymous.get("/api/health").json().get("capacity");
            long totalMb = 0;
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) totalMb = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
            assertEquals(totalMb, c.get("memory_total_mb").asLong(), c::toString);
            assertTrue(c.get("memory_free_mb").asLong() > 0 && c.get("memory_free_mb").asLong() < totalMb, c::toString);
            assertEquals(Runtime.getRuntime().availableProcessors(), c.get("cpus").asInt());
            assertTrue(c.get("vms").asInt() >= 1 + c.get("warm_clones").asInt(), "the capsule's VM is counted: " + c);
            long vmMb = c.get("vm_memory_mb").asLong();
            long rssMb = TestServer.host().vmmRssKib(id) / 1024;
            assertTrue(vmMb > 16 && vmMb < 512, "a VM's resident memory is tens of MiB, not its 512 MiB: " + c);
            assertTrue(rssMb > 0, "the capsule's VMM runs");
            assertTrue(c.get("memory_reserve_mb").asLong() >= 512, c::toString);
            assertTrue(c.get("room").asLong() > 0, c::toString);
            String metrics = anonymous.get("/metrics").text();
            for (String gauge : new String[] {"wrenn_host_memory_free_bytes", "wrenn_host_memory_total_bytes", "wrenn_host_vms",
                    "wrenn_host_vm_memory_bytes", "wrenn_host_capsule_room", "wrenn_memory_pressure_pauses_total"}) {
                assertTrue(metrics.contains(gauge + " "), gauge + " in /metrics");
            }
        } finally {
            team.destroyQuietly(id);
        }
    }

    @Test
    void theOpenApiDocumentDescribesEveryRouteAndNothingElse() throws Exception {
        Response r = anonymous.get("/api/openapi.yaml");
        assertEquals(200, r.status());
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(r.body());
        assertEquals("3.1.0", doc.get("openapi").asText());
        Set<String> documented = new TreeSet<>();
        doc.get("paths").properties().forEach(p -> p.getValue().fieldNames().forEachRemaining(m -> {
            if (Set.of("get", "post", "put", "patch", "delete").contains(m)) documented.add(m.toUpperCase(Locale.ROOT) + " " + p.getKey());
        }));
        Set<String> served = new TreeSet<>();
        for (var route : TestServer.get().routes()) {
            // /v1/... is the alias of /api/v1/..., documented once
            String path = route.path().startsWith("/v1/") ? "/api" + route.path() : route.path();
            served.add(route.method() + " " + path);
        }
        assertEquals(served, documented, "routes served vs routes in openapi.yaml");
    }

    @Test
    void metricsShowCapsulesByStatusRequestsAndErrors() {
        anonymous.get("/capsules");
        Response r = anonymous.get("/metrics");
        assertEquals(200, r.status());
        String text = r.text();
        for (String status : new String[] {"pending", "starting", "running", "paused", "stopped", "error"}) {
            assertTrue(text.contains("wrenn_capsules{status=\"" + status + "\"}"), "capsules by " + status);
        }
        assertTrue(text.contains("wrenn_http_requests_seconds_count{"), "request counts");
        assertTrue(text.contains("wrenn_errors_total{code=\"unauthorized\"}"), "error counts");
    }

    @Test
    void everyAnswerCarriesARequestIdAndUnknownRoutesAre404Envelopes() {
        Response r = anonymous.get("/api/v1/nothing-here");
        assertEquals(404, r.status());
        assertEquals("not_found", r.errorCode());
        assertTrue(r.headers().firstValue("X-Request-Id").isPresent());
        Response wrongMethod = anonymous.send("PUT", "/api/v1/capsules", "application/json", "{}".getBytes());
        assertTrue(wrongMethod.status() == 404 || wrongMethod.status() == 405, wrongMethod::toString);
        wrongMethod.errorCode();
    }
}
