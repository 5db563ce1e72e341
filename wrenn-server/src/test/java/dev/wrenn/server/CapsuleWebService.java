package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A web service in a real capsule (base-python): test resource capsule-web-service.py on port
 * 8000 (HTTP, a chunked answer over two seconds at /stream, a WebSocket echo at /ws), reached
 * through the port proxy.
 */
public final class CapsuleWebService {
    public static final int PORT = 8000;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private CapsuleWebService() {
    }

    /** The capsule's port URL for {@code path}, as a browser on this machine would use it. */
    public static String url(String id, String path) {
        return "http://" + PORT + "-" + id + ".localhost:" + TestServer.get().port() + path;
    }

    /** Starts the service in capsule {@code id} and waits (up to 60 s) until it answers through the proxy. */
    public static void start(Api api, String id, String token) throws Exception {
        String script;
        try (InputStream in = CapsuleWebService.class.getResourceAsStream("/capsule-web-service.py")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        ObjectNode write = Json.MAPPER.createObjectNode().put("cmd", "sh").put("stdin", script);
        write.putArray("args").add("-c").add("cat > /root/svc.py");
        assertEquals(200, api.exec(id, write.toString()).status());
        ObjectNode run = Json.MAPPER.createObjectNode().put("cmd", "python3").put("background", true).put("tag", "web");
        run.putArray("args").add("/root/svc.py");
        assertEquals(202, api.exec(id, run.toString()).status());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                if (get(url(id, "/hello"), token).statusCode() == 200) return;
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) throw new AssertionError("the web service in " + id + " never answered");
            Thread.sleep(200);
        }
    }

    public static HttpResponse<String> get(String url, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(90));
        if (token != null) b.header("X-Wrenn-Traffic-Token", token);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
