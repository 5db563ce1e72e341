package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wrenn.host.HostAgent;
import dev.wrenn.host.api.ExecRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The API's cost over the runtime (not a test: it asserts only that calls succeed). Each latency
 * is a median through HTTP, printed beside the same operation called on the host agent directly
 * in the same run; prints {@code BENCH name value unit} lines and writes its section of docs/benchmarks.md.
 * Run with {@code make bench}.
 */
@Tag("bench")
class ApiBenchmark {
    private static final int RUNS = 10;
    private static final int EXEC_RUNS = 100;
    private static final int CLIENTS = 64;
    private static final Duration RPS_TIME = Duration.ofSeconds(10);
    /** On 2 cores the JIT needs some 20 s of this load before the server runs at its steady speed. */
    private static final Duration RPS_WARM_UP = Duration.ofSeconds(20);

    private record Row(String name, double api, double runtime, String unit, String note) {}

    @Test
    void api() throws Exception {
        TestServer.awaitTemplates();
        Api api = TestServer.newTeam();
        HostAgent host = TestServer.host();
        List<Row> rows = new ArrayList<>();

        // as the runtime's own benchmark does: each create finds a warm clone waiting, and the API
        // and the host agent are measured alternately under the same conditions
        long[] create = new long[RUNS];
        long[] hostCreate = new long[RUNS];
        String first = null;
        for (int i = 0; i < RUNS; i++) {
            TestServer.awaitWarmClone();
            long t0 = System.nanoTime();
            String made = api.createRunning();
            create[i] = System.nanoTime() - t0;
            if (first == null) first = made;
            else api.destroyQuietly(made); // the test server's team limit is small
            TestServer.awaitWarmClone();
            String direct = Ids.CAPSULE.next();
            t0 = System.nanoTime();
            host.create(direct, "minimal", null, null);
            hostCreate[i] = System.nanoTime() - t0;
            host.destroy(direct);
        }
        rows.add(new Row("api_create_to_running_ms", ms(create), ms(hostCreate), "ms", "POST /capsules?wait=true until running"));
        String id = first;

        // pause and resume alternate too: the API's capsule, then one the host agent holds directly
        TestServer.awaitWarmClone();
        String direct = Ids.CAPSULE.next();
        host.create(direct, "minimal", null, null);
        long[] pause = new long[RUNS];
        long[] resume = new long[RUNS];
        long[] hostPause = new long[RUNS];
        long[] hostResume = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long t0 = System.nanoTime();
            assertEquals(200, api.post("/capsules/" + id + "/pause").status());
            pause[i] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            host.pause(direct);
            hostPause[i] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            assertEquals(200, api.post("/capsules/" + id + "/resume").status());
            resume[i] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            host.resume(direct);
            hostResume[i] = System.nanoTime() - t0;
        }
        rows.add(new Row("api_pause_ms", ms(pause), ms(hostPause), "ms", "POST /capsules/{id}/pause"));
        rows.add(new Row("api_resume_ms", ms(resume), ms(hostResume), "ms", "POST /capsules/{id}/resume"));

        double exec = median(EXEC_RUNS, () -> {
            long t0 = System.nanoTime();
            assertEquals(200, api.exec(id, "{\"cmd\":\"true\"}").status());
            return System.nanoTime() - t0;
        });
        var guest = host.guest(direct);
        double hostExec = median(EXEC_RUNS, () -> {
            long t0 = System.nanoTime();
            guest.run(ExecRequest.command("true").build());
            return System.nanoTime() - t0;
        });
        host.destroy(direct);
        rows.add(new Row("api_exec_true_ms", exec, hostExec, "ms", "POST /capsules/{id}/exec {\"cmd\":\"true\"}"));

        getRps(TestServer.get().port(), api.key(), id, RPS_WARM_UP);
        double rps = getRps(TestServer.get().port(), api.key(), id, RPS_TIME);
        rows.add(new Row("api_get_rps", rps, Double.NaN, "req/s", "GET /capsules/{id} on " + CLIENTS
                + " keep-alive connections (one client thread), " + RPS_TIME.toSeconds() + " s after " + RPS_WARM_UP.toSeconds()
                + " s of warm-up"));
        api.destroyQuietly(id);

        for (Row r : rows) System.out.printf(Locale.ROOT, "BENCH %s %.1f %s%n", r.name(), r.api(), r.unit());
        writeDoc(rows);
    }

    /** Requests per second of {@link #CLIENTS} keep-alive clients (one client thread, see {@link GetLoad}) for {@code time}. */
    private static double getRps(int port, String key, String id, Duration time) throws IOException {
        byte[] request = ("GET /api/v1/capsules/" + id + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + key + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        return GetLoad.run(port, request, CLIENTS, time);
    }


    private static double median(int runs, LongSupplier nanos) {
        long[] v = new long[runs];
        for (int i = 0; i < runs; i++) v[i] = nanos.getAsLong();
        return ms(v);
    }

    private static double ms(long[] nanos) {
        return BenchmarkDoc.medianMs(nanos);
    }

    /** Replaces the API section of docs/benchmarks.md. */
    private static void writeDoc(List<Row> rows) throws IOException {
        StringBuilder t = new StringBuilder()
                .append("Measured by `make bench` (date=").append(LocalDate.now()).append(", accelerator=")
                .append(TestServer.host().accelerator().label()).append(", cpus=")
                .append(Runtime.getRuntime().availableProcessors())
                .append(", SQLite, loopback HTTP). Latencies are medians of ").append(RUNS).append(" runs (exec: ")
                .append(EXEC_RUNS).append(") through the API, beside the same operation called on the host agent")
                .append(" alternately in the same run; target: at most 25 ms of overhead, and at least 10000 GETs/s.\n\n")
                .append("| metric | API | runtime | overhead | what |\n|---|---|---|---|---|\n");
        for (Row r : rows) {
            String runtime = Double.isNaN(r.runtime()) ? "–" : String.format(Locale.ROOT, "%.1f %s", r.runtime(), r.unit());
            String overhead = Double.isNaN(r.runtime()) ? "–" : String.format(Locale.ROOT, "%+.1f %s", r.api() - r.runtime(), r.unit());
            t.append(String.format(Locale.ROOT, "| `%s` | %.1f %s | %s | %s | %s |%n", r.name(), r.api(), r.unit(), runtime,
                    overhead, r.note()));
        }
        BenchmarkDoc.replaceSection("api", "API (HTTP, wrenn server)", t.toString());
    }
}
