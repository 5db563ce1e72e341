package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.server.Api;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.Json;
import dev.wrenn.server.TestServer;
import dev.wrenn.server.WsClient;
import dev.wrenn.server.api.HttpApi.Route;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every route of the API, the streams included, under random input for a bounded time: real
 * capsules behind a real server, requests built from each route's valid body with fields
 * mutated, replaced, dropped or added, garbage bodies and content types, path parameters and
 * query values that are not what they should be, wrong methods, missing or wrong keys, and junk
 * frames on the WebSockets. No answer is a 5xx but 503 no_capacity, no stream sends an
 * internal_error, the server's heap grows by less than 128 MiB, and it is healthy at the end.
 * Seconds: {@code -Dwrenn.fuzz.seconds} (12; `make soak` runs 300); seed: {@code -Dwrenn.fuzz.seed}
 * (printed).
 */
class ApiFuzzTest {
    private static final Map<String, String> BODIES = Map.ofEntries(
            Map.entry("POST /capsules", "{\"template\":\"minimal\",\"vcpus\":1,\"memory_mb\":512,\"timeout_sec\":0,"
                    + "\"metadata\":{\"k\":\"v\"},\"network\":{\"allow_internet\":true,\"allow_out\":[],\"deny_out\":[]}}"),
            Map.entry("PUT /capsules/{id}/network", "{\"allow_internet\":false,\"allow_out\":[\"10.0.0.0/8\"],\"deny_out\":[]}"),
            Map.entry("POST /capsules/{id}/exec", "{\"cmd\":\"true\",\"args\":[\"a\"],\"env\":{\"A\":\"1\"},\"cwd\":\"/tmp\",\"timeout\":5}"),
            Map.entry("POST /capsules/{id}/files/write", "{\"path\":\"/tmp/fuzz\",\"content\":\"x\"}"),
            Map.entry("POST /capsules/{id}/files/read", "{\"path\":\"/tmp/fuzz\"}"),
            Map.entry("POST /capsules/{id}/files/list", "{\"path\":\"/tmp\",\"depth\":1}"),
            Map.entry("POST /capsules/{id}/files/mkdir", "{\"path\":\"/tmp/fuzz-dir\"}"),
            Map.entry("POST /capsules/{id}/files/remove", "{\"path\":\"/tmp/fuzz-dir\"}"),
            Map.entry("POST /capsules/{id}/files/stream/read", "{\"path\":\"/tmp/fuzz\"}"),
            Map.entry("POST /snapshots", "{\"capsule_id\":\"{id}\",\"name\":\"fuzz\"}"),
            Map.entry("POST /api-keys", "{\"name\":\"fuzz\"}"));
    private static final String[] QUERY_KEYS = {"wait", "timeout", "status", "metadata", "limit", "overwrite", "path",
        "offset", "replay", "tag", "signal", "rows", "cols", "template"};
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    private static final String[] CONTENT_TYPES = {"application/json", "application/json; charset=utf-8", "text/plain",
        "multipart/form-data", "multipart/form-data; boundary=x", "application/octet-stream", "application/x-www-form-urlencoded"};

    private final long seed = Long.getLong("wrenn.fuzz.seed", System.nanoTime());
    private final Random random = new Random(seed);
    private final List<String> failures = new ArrayList<>();
    private Api api;
    private String capsule;

    @Test
    void randomRequestsToEveryRouteNeverGetA5xx() {
        TestServer.awaitTemplates();
        api = TestServer.newTeam();
        capsule = api.createRunning();
        List<Route> routes = TestServer.get().routes().stream().filter(r -> r.path().startsWith("/api/v1/")).toList();
        long deadline = System.nanoTime() + Duration.ofSeconds(Long.getLong("wrenn.fuzz.seconds", 12)).toNanos();
        int requests = 0;
        int streams = 0;
        long heapBefore = heapAfterGc();
        try {
            while (System.nanoTime() < deadline) {
                Route route = routes.get(random.nextInt(routes.size()));
                if (route.method().equals("GET") && isStream(route.path()) && random.nextBoolean()) {
                    stream(route.path());
                    streams++;
                } else {
                    request(route);
                    requests++;
                }
                if (requests % 100 == 0) keepACapsuleRunning();
            }
        } finally {
            cleanUp();
        }
        failures.forEach(f -> System.out.println("api fuzz failure: " + f));
        long heapGrowthMb = (heapAfterGc() - heapBefore) >> 20;
        System.out.printf("SOAK api_fuzz seconds=%d requests=%d streams=%d failures=%d heap_growth_mb=%d seed=%d%n",
                Long.getLong("wrenn.fuzz.seconds", 12), requests, streams, failures.size(), heapGrowthMb, seed);
        assertTrue(heapGrowthMb < 128, "the server's heap grew by " + heapGrowthMb + " MiB under the fuzzer");
        assertEquals(200, api.get("/api/health").status(), "the server is healthy");
        assertTrue(failures.isEmpty(), failures.size() + " failures (seed " + seed + "), first: "
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    /** The heap in use after a full collection: the server runs in this JVM. */
    private static long heapAfterGc() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    private static boolean isStream(String path) {
        return path.endsWith("/stream") && !path.contains("/files/") || path.endsWith("/pty");
    }

    private void request(Route route) {
        String method = random.nextInt(20) == 0 ? METHODS[random.nextInt(METHODS.length)] : route.method();
        String template = route.path().substring("/api/v1".length());
        String path = fill(template) + query();
        String example = BODIES.getOrDefault(route.method() + " " + template, "{}").replace("{id}", capsule);
        byte[] body = method.equals("GET") || method.equals("DELETE") && random.nextBoolean() ? null : body(example);
        HttpRequest.Builder b;
        try {
            b = api.request(path);
        } catch (IllegalArgumentException notAUri) {
            return;   // the client refuses to send it; so would any HTTP library
        }
        b = key(b);
        if (random.nextInt(5) > 0) b.header("Content-Type", CONTENT_TYPES[random.nextInt(CONTENT_TYPES.length)]);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        check(method + " " + path + " " + (body == null ? "" : abbreviate(new String(body, StandardCharsets.UTF_8))), b);
    }

    private void check(String what, HttpRequest.Builder b) {
        Response r;
        try {
            r = sendOnce(b);
        } catch (UncheckedIOException e) {
            failures.add(what + " -> no answer: " + e.getMessage());
            return;
        }
        if (r.status() >= 500 && !(r.status() == 503 && r.text().contains("no_capacity"))) {
            failures.add(what + " -> " + abbreviate(r.toString()));
        }
    }

    /**
     * A server may close a kept-alive connection after an error answer whose body it did not read;
     * a client sending on it just then gets no answer and, like any HTTP client, tries once more.
     */
    private Response sendOnce(HttpRequest.Builder b) {
        HttpRequest.Builder request = b.timeout(Duration.ofSeconds(60));
        try {
            return api.send(request);
        } catch (UncheckedIOException dropped) {
            return api.send(request);
        }
    }

    /** A WebSocket opened on a stream route with junk frames sent into it. */
    private void stream(String routePath) {
        String path = fill(routePath.substring("/api/v1".length())) + query();
        String key = random.nextInt(10) == 0 ? "wrn_" + "0".repeat(32) : api.key();
        WsClient ws;
        try {
            ws = WsClient.open(TestServer.baseUrl(), path, key);
        } catch (WsClient.Refused refused) {
            if (refused.status >= 500) failures.add("WS " + path + " -> upgrade refused with " + refused.status);
            return;
        } catch (IllegalArgumentException | IllegalStateException notOpened) {
            return;   // not a URI, or the client gave up: no server answer to judge
        }
        try (ws) {
            for (int i = random.nextInt(6); i >= 0; i--) {
                if (random.nextBoolean()) ws.sendText(new String(body(randomFrame()), StandardCharsets.UTF_8));
                else ws.sendBinary(garbage(random.nextInt(2000)));
            }
            ws.closeCodeIfClosed(Duration.ofMillis(300));
            for (JsonNode f : ws.received()) {
                if (f.path("code").asText().equals("internal_error")) failures.add("WS " + path + " -> " + abbreviate(f.toString()));
            }
        } catch (RuntimeException sendFailed) {
            // the server closed the socket while we sent: a fine answer to junk
        }
    }

    private String randomFrame() {
        String[] types = {"start", "stdin", "close_stdin", "resize", "signal", "kill", "ping", "nonsense"};
        ObjectNode f = WsClient.frame(types[random.nextInt(types.length)]);
        f.put("cmd", "true").put("data", "aGk=").put("rows", 24).put("cols", 80);
        return f.toString();
    }

    /** The route's path with its parameters filled: the real capsule, look-alikes, and nonsense. */
    private String fill(String template) {
        String path = template;
        while (path.contains("{")) {
            int open = path.indexOf('{');
            int close = path.indexOf('}', open);
            String value = switch (random.nextInt(5)) {
                case 0, 1 -> path.substring(open, close + 1).equals("{id}") ? capsule : "1";
                case 2 -> "cl-" + alphanumeric(25);
                default -> encode(nasty());
            };
            path = path.substring(0, open) + value + path.substring(close + 1);
        }
        return path;
    }

    private String query() {
        if (random.nextInt(3) > 0) return "";
        List<String> pairs = new ArrayList<>();
        for (int i = random.nextInt(3); i >= 0; i--) {
            pairs.add(QUERY_KEYS[random.nextInt(QUERY_KEYS.length)] + "="
                    + (random.nextBoolean() ? Integer.toString(random.nextInt(2000) - 1000) : encode(nasty())));
        }
        return "?" + String.join("&", pairs);
    }

    private HttpRequest.Builder key(HttpRequest.Builder b) {
        return switch (random.nextInt(20)) {
            case 0 -> b.setHeader("X-API-Key", "wrn_" + "f".repeat(32));
            case 1 -> b.setHeader("X-API-Key", encode(nasty()).replaceAll("[^\\x21-\\x7e]", "x"));
            case 2 -> b.setHeader("Authorization", "Bearer " + alphanumeric(20));
            default -> b;
        };
    }

    /** The example body with its fields mutated, or something else entirely. */
    private byte[] body(String example) {
        return switch (random.nextInt(10)) {
            case 0 -> garbage(random.nextInt(500));
            case 1 -> "[".repeat(2000 + random.nextInt(3000)).getBytes(StandardCharsets.UTF_8);
            case 2 -> example.substring(0, random.nextInt(example.length() + 1)).getBytes(StandardCharsets.UTF_8);
            case 3 -> new byte[0];
            default -> mutate(example).getBytes(StandardCharsets.UTF_8);
        };
    }

    private String mutate(String example) {
        try {
            JsonNode root = Json.MAPPER.readTree(example);
            if (!(root instanceof ObjectNode o)) return example;
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) names.add(it.next());
            for (String name : names) {
                switch (random.nextInt(6)) {
                    case 0 -> o.remove(name);
                    case 1 -> o.set(name, randomValue(0));
                    default -> { }
                }
            }
            if (random.nextInt(4) == 0) o.set(nasty(), randomValue(0));
            return o.toString();
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode randomValue(int depth) {
        var f = Json.MAPPER.getNodeFactory();
        return switch (random.nextInt(depth > 3 ? 7 : 9)) {
            case 0 -> f.nullNode();
            case 1 -> f.booleanNode(random.nextBoolean());
            case 2 -> f.numberNode(random.nextLong());
            case 3 -> f.numberNode(random.nextBoolean() ? 1e308 : -0.5);
            case 4 -> f.numberNode(new java.math.BigInteger(200, random));
            case 5 -> f.textNode(nasty());
            case 6 -> f.textNode("x".repeat(random.nextInt(100_000)));
            case 7 -> {
                var a = f.arrayNode();
                for (int i = random.nextInt(4); i > 0; i--) a.add(randomValue(depth + 1));
                yield a;
            }
            default -> {
                var o = f.objectNode();
                for (int i = random.nextInt(4); i > 0; i--) o.set(nasty(), randomValue(depth + 1));
                yield o;
            }
        };
    }

    private String nasty() {
        String[] s = {"", " ", "..", "../..", "/", "/etc/passwd", "%00", "\u0000", "é", "\uD83D\uDE00", "'; DROP TABLE capsules;--",
            "<script>", "-1", "0", "99999999999999999999", "NaN", "true", "null", "a".repeat(300), "cl-", "minimal", "{id}",
            "\r\nX: y", "${jndi:ldap://x}"};
        return s[random.nextInt(s.length)];
    }

    private byte[] garbage(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private String alphanumeric(int n) {
        String a = "0123456789abcdefghijklmnopqrstuvwxyz";
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) s.append(a.charAt(random.nextInt(a.length())));
        return s.toString();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    /** The fuzzer may pause or destroy its capsule; later requests need a running one to reach the guest. */
    private void keepACapsuleRunning() {
        JsonNode c = api.get("/capsules/" + capsule).json();
        String status = c.path("status").asText();
        if (status.equals("paused")) api.post("/capsules/" + capsule + "/resume");
        else if (!status.equals("running") && !status.equals("pending") && !status.equals("starting")) {
            cleanUp();   // what the fuzzer created counts against the team's limit
            capsule = api.createRunning();
        }
    }

    private void cleanUp() {
        for (JsonNode c : api.get("/capsules").json()) api.destroyQuietly(c.get("id").asText());
        for (JsonNode t : api.get("/snapshots").json()) api.delete("/snapshots/" + encode(t.get("name").asText()));
    }
}
