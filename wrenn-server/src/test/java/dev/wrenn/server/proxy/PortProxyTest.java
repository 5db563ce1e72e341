package dev.wrenn.server.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.server.Api;
import dev.wrenn.server.InMemoryHost;
import dev.wrenn.server.InMemoryServer;
import dev.wrenn.server.Json;
import dev.wrenn.server.WebService;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The port proxy (api.md §9) end to end: a real server over the in-memory host, whose capsules'
 * ports are mapped to a real local service ({@link WebService}); requests go to
 * {@code http://{port}-{id}.localhost:PORT/} as a user's browser would send them.
 */
class PortProxyTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final int PORT = 8000;

    private InMemoryServer server;
    private InMemoryHost host;
    private Api api;
    private WebService service;

    @BeforeEach
    void start() {
        server = InMemoryServer.start(b -> b.proxyResponseTimeout(Duration.ofSeconds(1)));
        host = server.host();
        api = server.api();
        service = new WebService();
    }

    @AfterEach
    void stop() {
        service.close();
        server.close();
    }

    /** A running capsule whose port 8000 is the test's service. */
    private String capsule(String json) {
        String id = api.createRunning(json);
        host.mapPort(id, PORT, service.address());
        return id;
    }

    private String url(String id, String pathAndQuery) {
        return "http://" + PORT + "-" + id + ".localhost:" + server.port() + pathAndQuery;
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String id, String pathAndQuery) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url(id, pathAndQuery))));
    }

    @Test
    void getAndPostReachTheServiceWithForwardingHeadersAndTheClientsHost() throws Exception {
        String id = capsule("{}");
        HttpResponse<String> r = get(id, "/echo?a=1&b=%20x");
        assertEquals(200, r.statusCode(), r::body);
        JsonNode echo = Json.MAPPER.readTree(r.body());
        assertEquals("/echo", echo.get("path").asText());
        assertEquals("a=1&b=%20x", echo.get("query").asText());
        JsonNode h = echo.get("headers");
        String expectedHost = PORT + "-" + id + ".localhost:" + server.port();
        assertEquals(expectedHost, h.get("host").asText(), "the service sees the host the client used");
        assertEquals(expectedHost, h.get("x-forwarded-host").asText());
        assertEquals("127.0.0.1", h.get("x-forwarded-for").asText());
        assertEquals("http", h.get("x-forwarded-proto").asText());
        assertEquals("1.1 wrenn", h.get("via").asText());
        assertTrue(r.headers().firstValue("Via").orElse("").endsWith("1.1 wrenn"), "the answer carries Via");

        HttpResponse<String> post = send(HttpRequest.newBuilder(URI.create(url(id, "/echo")))
                .POST(HttpRequest.BodyPublishers.ofString("ünïcødé body")).header("X-Custom", "kept"));
        assertEquals(200, post.statusCode(), post::body);
        JsonNode posted = Json.MAPPER.readTree(post.body());
        assertEquals("POST", posted.get("method").asText());
        assertEquals("ünïcødé body", posted.get("body").asText());
        assertEquals("kept", posted.get("headers").get("x-custom").asText());
    }

    @Test
    void hopByHopFieldsStayOnTheirConnection() throws Exception {
        String id = capsule("{}");
        String answer = raw("GET /echo HTTP/1.1\r\nHost: " + PORT + "-" + id + ".localhost\r\n"
                + "Connection: close, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nX-End: 1\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        JsonNode h = Json.MAPPER.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4)).get("headers");
        assertFalse(h.has("x-hop"), "a field named by Connection is not forwarded: " + h);
        assertFalse(h.has("keep-alive"));
        assertFalse(h.has("te"));
        assertEquals("1", h.get("x-end").asText());
    }

    @Test
    void aChunkedAnswerArrivesPieceByPieceWhileTheServiceIsStillWriting() throws Exception {
        String id = capsule("{}");
        HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(url(id, "/stream"))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            assertEquals("part-1", lines.readLine(), "the first part arrives while the service waits");
            service.nextPart();
            assertEquals("part-2", lines.readLine());
            assertEquals(null, lines.readLine());
        }
    }

    @Test
    void aLargeChunkedUploadIsStreamedToTheService() throws Exception {
        String id = capsule("{}");
        long size = 64L << 20;
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        CountDownLatch arrived = service.firstUploadByte();
        InputStream body = new InputStream() {
            private long sent;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (sent == size) return -1;
                if (sent >= 1 << 20) {
                    // past the first MiB, go on only once the service has bytes: a proxy that buffered the whole body would stall here
                    try {
                        if (!arrived.await(10, TimeUnit.SECONDS)) throw new IOException("the service got nothing of the first MiB");
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                int n = (int) Math.min(len, size - sent);
                for (int i = 0; i < n; i++) b[off + i] = (byte) ((sent + i) * 31);
                sha.update(b, off, n);
                sent += n;
                return n;
            }
        };
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url(id, "/upload")))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body)));
        assertEquals(200, r.statusCode(), r::body);
        assertEquals(size + " " + HexFormat.of().formatHex(sha.digest()), r.body());
    }

    @Test
    void aWebSocketServiceEchoesThroughThePortUrl() throws Exception {
        String id = capsule("{}");
        List<String> texts = new ArrayList<>();
        CompletableFuture<Void> both = new CompletableFuture<>();
        CompletableFuture<ByteBuffer> binary = new CompletableFuture<>();
        WebSocket ws = HTTP.newWebSocketBuilder().buildAsync(URI.create(url(id, "/ws").replace("http://", "ws://")),
                new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            texts.add(text.toString());
                            text.setLength(0);
                            if (texts.size() == 2) both.complete(null);
                        }
                        w.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                        ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data).flip();
                        binary.complete(copy);
                        w.request(1);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
        ws.sendText("hello", true).get(5, TimeUnit.SECONDS);
        // a message over several of the tunnel's 16 KiB reads (the service takes up to 64 KiB)
        ws.sendText("x".repeat(50_000), true).get(5, TimeUnit.SECONDS);
        both.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("hello", "x".repeat(50_000)), texts);
        ws.sendBinary(ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 255}), true).get(5, TimeUnit.SECONDS);
        assertEquals(ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 255}), binary.get(10, TimeUnit.SECONDS));
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    }

    @Test
    void aTokenCapsuleNeedsItsTokenWhichTheServiceNeverSees() throws Exception {
        String id = capsule("{\"port_access\":\"token\"}");
        String token = api.capsule(id).get("traffic_token").asText();

        HttpResponse<String> none = get(id, "/echo");
        assertEquals(401, none.statusCode());
        assertTrue(none.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertTrue(none.body().contains("X-Wrenn-Traffic-Token"), none.body());
        assertEquals(401, send(HttpRequest.newBuilder(URI.create(url(id, "/echo"))).header("X-Wrenn-Traffic-Token", token + "0"))
                .statusCode(), "a wrong token");
        assertEquals(401, get(id, "/echo?wrenn_token=" + token.substring(1)).statusCode());

        HttpResponse<String> byHeader = send(HttpRequest.newBuilder(URI.create(url(id, "/echo")))
                .header("X-Wrenn-Traffic-Token", token));
        assertEquals(200, byHeader.statusCode(), byHeader::body);
        assertFalse(Json.MAPPER.readTree(byHeader.body()).get("headers").has("x-wrenn-traffic-token"), "the header is stripped");

        HttpResponse<String> byQuery = get(id, "/echo?a=1&wrenn_token=" + token + "&b=2");
        assertEquals(200, byQuery.statusCode(), byQuery::body);
        assertEquals("a=1&b=2", Json.MAPPER.readTree(byQuery.body()).get("query").asText(), "the parameter is stripped");
    }

    @Test
    void aPausedAutoResumeCapsuleIsResumedOnceByConcurrentFirstRequestsWhichAreThenServed() throws Exception {
        String id = capsule("{\"auto_resume\":true}");
        assertEquals(200, api.post("/capsules/" + id + "/pause").status());
        CountDownLatch restore = host.holdResumes();
        List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            requests.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(url(id, "/echo?n=" + i))).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (host.resumed().isEmpty() && System.nanoTime() < deadline) Thread.sleep(10);
        Thread.sleep(200);   // every request has reached the proxy and waits on the one resume
        restore.countDown();
        for (var f : requests) assertEquals(200, f.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(List.of(id), host.resumed(), "one resume for all of them");
        assertEquals("running", api.capsule(id).get("status").asText());
    }

    @Test
    void aPausedCapsuleWithoutAutoResumeIs409() throws Exception {
        String id = capsule("{}");
        assertEquals(200, api.post("/capsules/" + id + "/pause").status());
        HttpResponse<String> r = get(id, "/echo");
        assertEquals(409, r.statusCode());
        assertTrue(r.body().contains("paused") && r.body().contains("auto_resume"), r.body());
        assertEquals("paused", api.capsule(id).get("status").asText());
    }

    @Test
    void aPortNothingListensOnIs502() throws Exception {
        String id = api.createRunning();
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        host.mapPort(id, PORT, new InetSocketAddress("127.0.0.1", closed));
        HttpResponse<String> r = get(id, "/");
        assertEquals(502, r.statusCode());
        assertTrue(r.body().contains("nothing listens on port 8000"), r.body());
    }

    @Test
    void aServiceThatNeverAnswersIs504AfterTheResponseTimeout() throws Exception {
        String id = api.createRunning();
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            host.mapPort(id, PORT, new InetSocketAddress("127.0.0.1", silent.getLocalPort()));
            long t0 = System.nanoTime();
            HttpResponse<String> r = get(id, "/");
            assertEquals(504, r.statusCode());
            assertTrue(r.body().contains("did not answer within 1 s"), r.body());
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
        }
    }

    @Test
    void badHostsAre400UnknownAndStoppedCapsules404() throws Exception {
        String id = capsule("{}");
        for (String host : List.of("70000-" + id + ".localhost", "0-" + id + ".localhost", "8000-cl-short.localhost")) {
            String answer = raw("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 400"), host + " → " + answer);
            assertTrue(answer.contains("text/plain"), answer);
        }
        String unknown = "cl-" + "0".repeat(25);
        HttpResponse<String> r = get(unknown, "/");
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains(unknown), r.body());
        assertEquals(204, api.delete("/capsules/" + id).status());
        assertEquals(404, get(id, "/").statusCode());
    }

    @Test
    void theApiOnItsOwnHostIsUnaffected() throws Exception {
        capsule("{}");
        HttpResponse<String> health = send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/api/health")));
        assertEquals(200, health.statusCode());
        assertEquals("ok", Json.MAPPER.readTree(health.body()).get("status").asText());
        assertEquals(200, api.get("/capsules").status());
    }

    @Test
    void proxiedRequestsAreActivityAndKeepACapsuleFromPausingForInactivity() throws Exception {
        String id = capsule("{\"timeout_sec\":2}");
        assertTrue(api.capsule(id).get("last_active_at").isNull());
        long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        while (System.nanoTime() < until) {
            assertEquals(200, get(id, "/echo").statusCode());
            Thread.sleep(300);
        }
        JsonNode c = api.capsule(id);
        assertEquals("running", c.get("status").asText(), "4 s of traffic against a 2 s timeout");
        assertFalse(c.get("last_active_at").isNull());
        api.awaitStatus(id, "paused", Duration.ofSeconds(10));
    }

    /** One request as raw bytes (for fields the JDK's client will not send); the whole answer, read to the close. */
    private String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
