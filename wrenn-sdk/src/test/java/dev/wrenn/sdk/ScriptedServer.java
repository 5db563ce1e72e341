package dev.wrenn.sdk;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real local HTTP server that answers from a script, for the faults the real Wrenn server cannot
 * produce on demand (a 502 then a 200, a Retry-After, a proxy's HTML error page, a slow answer).
 * Every request it receives is recorded.
 */
final class ScriptedServer implements AutoCloseable {
    /** One scripted answer. */
    record Answer(int status, String body, Map<String, String> headers, Duration delay) {
        static Answer json(int status, String body) {
            return new Answer(status, body, Map.of("Content-Type", "application/json"), Duration.ZERO);
        }

        static Answer error(int status, String code, String message) {
            return new Answer(status, "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}",
                    Map.of("Content-Type", "application/json", "X-Request-Id", "req-" + status), Duration.ZERO);
        }

        Answer withHeader(String name, String value) {
            Map<String, String> h = new java.util.HashMap<>(headers);
            h.put(name, value);
            return new Answer(status, body, Map.copyOf(h), delay);
        }

        Answer after(Duration d) {
            return new Answer(status, body, headers, d);
        }
    }

    /** One request as received. */
    record Received(String method, String uri, Map<String, List<String>> headers, String body, long atNanos) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    private final HttpServer server;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    private final ConcurrentLinkedQueue<Answer> script = new ConcurrentLinkedQueue<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile Answer fallback = Answer.error(500, "internal_error", "nothing scripted");

    ScriptedServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Answers the next requests with these, in order; then with the fallback. */
    ScriptedServer then(Answer... answers) {
        script.addAll(List.of(answers));
        return this;
    }

    /** Answers every request not scripted with this. */
    ScriptedServer always(Answer answer) {
        fallback = answer;
        return this;
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api";
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] in = ex.getRequestBody().readAllBytes();
        received.add(new Received(ex.getRequestMethod(), ex.getRequestURI().toString(), Map.copyOf(ex.getRequestHeaders()),
                new String(in, StandardCharsets.UTF_8), System.nanoTime()));
        Answer a = script.poll();
        if (a == null) a = fallback;
        try {
            Thread.sleep(a.delay());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
        try {
            ex.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) ex.getResponseBody().write(out);
        } catch (IOException clientGone) {
            // the client timed out and closed the connection: nothing to answer
        } finally {
            ex.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
