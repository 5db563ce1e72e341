package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A small HTTP client for tests: one team's key, JSON in and out, every answer kept whole. */
public final class Api {
    // HTTP/1.1 as the SDKs speak it: the JDK's default (HTTP/2 with an upgrade attempt) costs each request more
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public record Response(int status, HttpHeaders headers, byte[] body) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("answer is not JSON (" + status + "): " + text(), e);
            }
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** The error code of an error answer, after checking the envelope's shape. */
        public String errorCode() {
            assertEquals("application/json", headers.firstValue("Content-Type").orElse("").split(";")[0], text());
            JsonNode e = json().get("error");
            if (e == null || !e.hasNonNull("code") || !e.hasNonNull("message") || e.get("message").asText().isBlank()) {
                throw new AssertionError("not an error envelope: " + text());
            }
            return e.get("code").asText();
        }

        public String message() {
            return json().path("error").path("message").asText();
        }

        @Override
        public String toString() {
            return status + " " + text();
        }
    }

    private final String base;
    private final String key;

    public Api(String base, String key) {
        this.base = base;
        this.key = key;
    }

    public String key() {
        return key;
    }

    public Api withKey(String otherKey) {
        return new Api(base, otherKey);
    }

    public Response get(String path) {
        return send(request(path).GET());
    }

    public Response post(String path, String json) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json)));
    }

    public Response post(String path) {
        return post(path, null);
    }

    public Response delete(String path) {
        return send(request(path).DELETE());
    }

    public Response send(String method, String path, String contentType, byte[] body) {
        HttpRequest.Builder b = request(path);
        if (contentType != null) b.header("Content-Type", contentType);
        return send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** {@code path} starting with /api, /v1, /metrics or /assets, or /, is taken as is; anything else is under /api/v1. */
    public HttpRequest.Builder request(String path) {
        boolean asIs = path.equals("/") || path.startsWith("/api/") || path.startsWith("/v1/") || path.startsWith("/metrics")
                || path.startsWith("/assets/");
        String full = asIs ? path : "/api/v1" + path;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + full)).timeout(Duration.ofSeconds(120));
        if (key != null) b.header("X-API-Key", key);
        return b;
    }

    public Response send(HttpRequest.Builder b) {
        try {
            HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---- capsule helpers ----------------------------------------------------------------------

    /** Creates a capsule and waits until it runs; fails the test otherwise. */
    public String createRunning(String json) {
        Response r = post("/capsules?wait=true", json);
        assertEquals(201, r.status(), r::toString);
        assertEquals("running", r.json().get("status").asText(), r::toString);
        return r.json().get("id").asText();
    }

    public String createRunning() {
        return createRunning("{}");
    }

    public JsonNode capsule(String id) {
        Response r = get("/capsules/" + id);
        assertEquals(200, r.status(), r::toString);
        return r.json();
    }

    /** Polls the capsule until its status is {@code status}; fails after {@code timeout}. */
    public JsonNode awaitStatus(String id, String status, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode c;
        do {
            c = capsule(id);
            if (c.get("status").asText().equals(status)) return c;
            sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("capsule " + id + " did not become " + status + " within " + timeout + "; it is " + c);
    }

    /** Destroys the capsule, waiting out an operation in flight (cleanup only: failures are ignored). */
    public void destroyQuietly(String id) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try {
            while (delete("/capsules/" + id).status() == 409 && System.nanoTime() < deadline) sleep(200);
        } catch (RuntimeException ignored) {
            // cleanup only
        }
    }

    public Response exec(String id, String json) {
        return post("/capsules/" + id + "/exec", json);
    }

    /** The host agent of the shared test server, to look behind the API. */
    public dev.wrenn.host.HostAgent host() {
        return TestServer.host();
    }

    public static void sleepFor(Duration d) {
        sleep(d.toMillis());
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
