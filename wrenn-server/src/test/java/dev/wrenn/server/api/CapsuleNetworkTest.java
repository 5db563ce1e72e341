package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.server.Api;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.CapsuleWebService;
import dev.wrenn.server.Json;
import dev.wrenn.server.TestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Networking of real capsules through the API: a policy changed at runtime, the port proxy to a
 * service in a capsule (HTTP, a streamed answer, a WebSocket echo), a paused capsule resumed by
 * its first request with a traffic token, and the API answering while a capsule floods the network.
 */
class CapsuleNetworkTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final String DEBIAN = "http://deb.debian.org/debian/dists/bookworm/Release";
    private static Api api;

    @BeforeAll
    static void up() {
        TestServer.awaitTemplates();
        api = TestServer.newTeam();
    }

    @Test
    void aPolicyChangedThroughTheApiAppliesToTheRunningCapsule() {
        String id = api.createRunning("{\"network\":{\"allow_internet\":false}}");
        try {
            assertEquals("000", curlStatus(id, DEBIAN), "allow_internet:false must keep the capsule off the internet");
            Response changed = api.send("PUT", "/capsules/" + id + "/network", "application/json",
                    "{\"allow_internet\":true}".getBytes(StandardCharsets.UTF_8));
            assertEquals(200, changed.status(), changed::toString);
            assertTrue(changed.json().path("network").path("allow_internet").asBoolean());
            assertEquals("200", curlStatus(id, DEBIAN));
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void thePortProxyServesHttpAStreamedAnswerAndWebSocketsFromACapsule() throws Exception {
        String id = api.createRunning("{\"template\":\"base-python\"}");
        try {
            startWebService(id, null);
            HttpResponse<String> hello = get(url(id, "/hello"), null);
            assertEquals(200, hello.statusCode());
            assertEquals("hello via 8000-" + id + ".localhost:" + TestServer.get().port(), hello.body(),
                    "the service sees the Host the client used");

            HttpResponse<InputStream> stream = HTTP.send(HttpRequest.newBuilder(URI.create(url(id, "/stream"))).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                long t0 = System.nanoTime();
                assertEquals("part0", lines.readLine());
                long first = System.nanoTime() - t0;
                assertEquals("part1", lines.readLine());
                assertEquals("part2", lines.readLine());
                long last = System.nanoTime() - t0;
                assertTrue(last - first > TimeUnit.MILLISECONDS.toNanos(1500),
                        "the answer was held back instead of streamed (first part after " + first / 1_000_000
                                + " ms, last after " + last / 1_000_000 + " ms)");
            }

            CompletableFuture<String> echoed = new CompletableFuture<>();
            WebSocket ws = HTTP.newWebSocketBuilder().buildAsync(URI.create(url(id, "/ws").replace("http:", "ws:")),
                    new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket s, CharSequence data, boolean last) {
                            echoed.complete(data.toString());
                            return null;
                        }
                    }).get(30, TimeUnit.SECONDS);
            ws.sendText("ping through the proxy", true);
            assertEquals("ping through the proxy", echoed.get(30, TimeUnit.SECONDS));
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done");
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void aPausedAutoResumeCapsuleIsResumedByItsFirstRequestWhichNeedsTheToken() throws Exception {
        JsonNode created = api.post("/capsules?wait=true",
                "{\"template\":\"base-python\",\"port_access\":\"token\",\"auto_resume\":true}").json();
        String id = created.get("id").asText();
        String token = created.get("traffic_token").asText();
        try {
            startWebService(id, token);
            assertEquals(200, api.post("/capsules/" + id + "/pause").status());
            assertEquals(401, get(url(id, "/hello"), null).statusCode(), "no token, no traffic");
            assertEquals("paused", api.capsule(id).get("status").asText(), "a refused request must not resume it");

            HttpResponse<String> served = get(url(id, "/hello"), token);
            assertEquals(200, served.statusCode(), served::body);
            assertEquals("running", api.capsule(id).get("status").asText());
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void theApiAnswersWhileACapsuleFloodsTheNetwork() {
        String id = api.createRunning("{\"network\":{\"allow_out\":[\"10.99.0.0/24\"]}}");
        try {
            // new flows to ports nobody listens on, as fast as the guest can: every one a tracked connection
            ObjectNode flood = Json.MAPPER.createObjectNode().put("cmd", "bash").put("background", true);
            flood.putArray("args").add("-c").add("end=$((SECONDS + 20)); while [ $SECONDS -lt $end ]; do "
                    + "for i in $(seq 1 500); do echo x > /dev/udp/10.99.0.1/$((10000 + i)); "
                    + "(echo > /dev/tcp/192.0.2.1/$((20000 + i))) 2>/dev/null & done; wait; done 2>/dev/null");
            assertEquals(202, api.exec(id, flood.toString()).status());
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                assertEquals(200, api.get("/capsules/" + id).status());
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms < 2000, "the API took " + ms + " ms to answer during the flood");
                Api.sleepFor(Duration.ofMillis(250));
            }
        } finally {
            api.destroyQuietly(id);
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static String url(String id, String path) {
        return CapsuleWebService.url(id, path);
    }

    private static HttpResponse<String> get(String url, String token) throws IOException, InterruptedException {
        return CapsuleWebService.get(url, token);
    }

    private static void startWebService(String id, String token) throws Exception {
        CapsuleWebService.start(api, id, token);
    }

    private static String curlStatus(String id, String url) {
        ObjectNode req = Json.MAPPER.createObjectNode().put("cmd", "curl");
        req.putArray("args").add("-s").add("-m").add("5").add("-o").add("/dev/null").add("-w").add("%{http_code}").add(url);
        Response r = api.exec(id, req.toString());
        assertEquals(200, r.status(), r::toString);
        return r.json().get("stdout").asText().strip();
    }
}
