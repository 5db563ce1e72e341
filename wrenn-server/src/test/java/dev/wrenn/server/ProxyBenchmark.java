package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the port proxy adds to a request: the same small GET sent to a service directly and through
 * its port URL, alternately over kept-alive connections, medians side by side; then requests per
 * second both ways with several clients. Twice: a local service behind the in-memory host (the
 * proxy's own cost), and a service in a real capsule, reached directly from the host at the
 * capsule's port address (what users see).
 */
@Tag("bench")
class ProxyBenchmark {
    private static final int WARMUP = 3000;
    private static final int RUNS = 3000;
    private static final int CAPSULE_WARMUP = 50;
    private static final int CAPSULE_RUNS = 500;
    private static final int CLIENTS = 8;
    private static final Duration THROUGHPUT_TIME = Duration.ofSeconds(5);

    @Test
    void proxy() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<String[]> rows = new ArrayList<>();
        try (WebService service = new WebService(); InMemoryServer server = InMemoryServer.start()) {
            String id = server.api().createRunning();
            server.host().mapPort(id, 8000, service.address());
            URI direct = URI.create("http://127.0.0.1:" + service.address().getPort() + "/hello");
            URI proxied = URI.create("http://8000-" + id + ".localhost:" + server.port() + "/hello");
            compare(rows, "proxy", "a local service", http, direct, proxied, WARMUP, RUNS);
        }
        // the same with a service in a real capsule, "direct" being the host straight to the capsule's port
        TestServer.awaitTemplates();
        Api api = TestServer.newTeam();
        String id = api.createRunning("{\"template\":\"base-python\"}");
        try {
            CapsuleWebService.start(api, id, null);
            InetSocketAddress at = TestServer.host().portAddress(id, CapsuleWebService.PORT);
            URI direct = URI.create("http://" + at.getHostString() + ":" + at.getPort() + "/hello");
            TestServer.awaitWarmClone(); // the pool's refill would compete for the CPU with the capsule's service
            compare(rows, "proxy_capsule", "Python's http.server in a base-python capsule", http, direct,
                    URI.create(CapsuleWebService.url(id, "/hello")), CAPSULE_WARMUP, CAPSULE_RUNS);
        } finally {
            api.destroyQuietly(id);
        }
        for (String[] r : rows) System.out.println("BENCH " + r[0] + " " + r[1] + " " + r[2]);
        writeDoc(rows);
    }

    /** Alternating GETs direct and through the proxy, medians and requests per second side by side. */
    private static void compare(List<String[]> rows, String prefix, String service, HttpClient http, URI direct,
                                URI proxied, int warmup, int runs) throws Exception {
        for (int i = 0; i < warmup; i++) {
            get(http, direct);
            get(http, proxied);
        }
        long[] directNs = new long[runs];
        long[] proxiedNs = new long[runs];
        for (int i = 0; i < runs; i++) {
            directNs[i] = timed(http, direct);
            proxiedNs[i] = timed(http, proxied);
        }
        double directMs = BenchmarkDoc.medianMs(directNs);
        double proxiedMs = BenchmarkDoc.medianMs(proxiedNs);
        double directRps = rps(http, direct);
        double proxiedRps = rps(http, proxied);
        rows.add(row(prefix + "_p50_added_ms", proxiedMs - directMs, "ms", "≤ 1 ms", proxiedMs - directMs <= 1.0,
                "median through the port URL minus median direct, same run, alternating (" + runs + " each)"));
        rows.add(row(prefix + "_p50_ms", proxiedMs, "ms", "–", null, "GET /hello to " + service + " through its port URL"));
        rows.add(row(prefix + "_direct_p50_ms", directMs, "ms", "–", null, "the same GET straight to the service (baseline)"));
        rows.add(row(prefix + "_rps", proxiedRps, "req/s", "–", null, CLIENTS + " clients, " + THROUGHPUT_TIME.toSeconds()
                + " s, through the proxy"));
        rows.add(row(prefix + "_direct_rps", directRps, "req/s", "–", null, "the same, straight to the service (baseline)"));
    }

    private static String[] row(String name, double value, String unit, String target, Boolean met, String what) {
        return new String[] {name, String.format(Locale.ROOT, unit.equals("ms") ? "%.3f" : "%.0f", value), unit, target,
                met == null ? "–" : met ? "met" : "missed", what};
    }

    private static long timed(HttpClient http, URI uri) throws Exception {
        long t0 = System.nanoTime();
        get(http, uri);
        return System.nanoTime() - t0;
    }

    private static void get(HttpClient http, URI uri) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r::body);
    }

    private static double rps(HttpClient http, URI uri) throws InterruptedException {
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + THROUGHPUT_TIME.toNanos();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(Thread.ofVirtual().start(() -> {
                try {
                    while (System.nanoTime() < end) {
                        get(http, uri);
                        done.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (Thread t : clients) t.join();
        return done.get() / (THROUGHPUT_TIME.toNanos() / 1e9);
    }

    private static void writeDoc(List<String[]> rows) throws IOException {
        StringBuilder t = new StringBuilder().append("Measured by `make bench` (date=").append(LocalDate.now()).append(", cpus=")
                .append(Runtime.getRuntime().availableProcessors()).append("; client, server and local service in one JVM")
                .append(" on the same cores, the capsule under TCG). Latencies are medians of GETs sent each way in turn,")
                .append(" after warm-up rounds.\n\n")
                .append("| metric | value | target | status | what |\n|---|---|---|---|---|\n");
        for (String[] r : rows) {
            t.append("| `").append(r[0]).append("` | ").append(r[1]).append(' ').append(r[2]).append(" | ").append(r[3])
                    .append(" | ").append(r[4]).append(" | ").append(r[5]).append(" |\n");
        }
        BenchmarkDoc.replaceSection("proxy", "Port proxy (wrenn server)", t.toString());
    }
}
