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
