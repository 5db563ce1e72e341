package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wrenn.server.Api;
import dev.wrenn.server.BenchmarkDoc;
import dev.wrenn.server.TestServer;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The SDK's cost over plain HTTP (not a test: it asserts only that calls succeed). Each operation is
 * timed through the SDK and through a bare java.net.http request alternately, in the same run;
 * prints {@code BENCH name value unit} lines and writes its section of docs/benchmarks.md.
 * Run with {@code make bench}.
 */
@Tag("bench")
class SdkBenchmark {
    private static final int RUNS = 10;
    private static final int QUICK_RUNS = 200;

    private record Row(String name, double sdk, double http, String what) {}

    @Test
    void sdk() throws Exception {
        TestServer.awaitTemplates();
        Api http = TestServer.newTeam();
        List<Row> rows = new ArrayList<>();
        try (WrennClient client = WrennClient.builder().apiKey(http.key()).baseUrl(RealServer.baseUrl()).build()) {
            long[] create = new long[RUNS];
            long[] rawCreate = new long[RUNS];
            for (int i = 0; i < RUNS; i++) {
                TestServer.awaitWarmClone();
                long t0 = System.nanoTime();
                String id = client.capsules().create(CreateCapsuleParams.defaults(), true).id();
                create[i] = System.nanoTime() - t0;
                client.capsules().destroy(id);
                TestServer.awaitWarmClone();
                t0 = System.nanoTime();
                String raw = http.createRunning();
                rawCreate[i] = System.nanoTime() - t0;
                http.destroyQuietly(raw);
            }
            rows.add(new Row("sdk_create_wait_ms", BenchmarkDoc.medianMs(create), BenchmarkDoc.medianMs(rawCreate),
                    "capsules().create(params, wait=true)"));

            Capsule capsule = Capsule.create(client, CreateCapsuleParams.defaults(), true);
            String id = capsule.id();
            long[] get = new long[QUICK_RUNS];
            long[] rawGet = new long[QUICK_RUNS];
            long[] exec = new long[QUICK_RUNS];
            long[] rawExec = new long[QUICK_RUNS];
            for (int i = 0; i < QUICK_RUNS; i++) {
                long t0 = System.nanoTime();
                client.capsules().get(id);
                get[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                assertEquals(200, http.get("/capsules/" + id).status());
                rawGet[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                capsule.commands().run(List.of("true"), RunOptions.defaults());
                exec[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                assertEquals(200, http.exec(id, "{\"cmd\":\"true\"}").status());
                rawExec[i] = System.nanoTime() - t0;
            }
            rows.add(new Row("sdk_get_ms", BenchmarkDoc.medianMs(get), BenchmarkDoc.medianMs(rawGet), "capsules().get(id)"));
            rows.add(new Row("sdk_exec_true_ms", BenchmarkDoc.medianMs(exec), BenchmarkDoc.medianMs(rawExec),
                    "commands().run([\"true\"])"));

            long[] pause = new long[RUNS];
            long[] rawPause = new long[RUNS];
            long[] resume = new long[RUNS];
            long[] rawResume = new long[RUNS];
            for (int i = 0; i < RUNS; i++) {
                // SDK and bare HTTP take turns on the same capsule, so both meet the same VM state
                boolean sdkFirst = i % 2 == 0;
                long t0 = System.nanoTime();
                if (sdkFirst) capsule.pause(); else assertEquals(200, http.post("/capsules/" + id + "/pause").status());
                (sdkFirst ? pause : rawPause)[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                if (sdkFirst) assertEquals(200, http.post("/capsules/" + id + "/resume").status()); else capsule.resume();
                (sdkFirst ? rawResume : resume)[i] = System.nanoTime() - t0;
            }
            rows.add(new Row("sdk_pause_ms", half(pause, 0), half(rawPause, 1), "pause()"));
            rows.add(new Row("sdk_resume_ms", half(resume, 1), half(rawResume, 0), "resume()"));
            capsule.close();
        }
        for (Row r : rows) System.out.printf(Locale.ROOT, "BENCH %s %.1f ms%n", r.name(), r.sdk());
        writeDoc(rows);
    }

    /** The median of the runs of one parity (the others were taken by the other side). */
    private static double half(long[] nanos, int parity) {
        long[] mine = new long[RUNS / 2];
        for (int i = parity, j = 0; i < nanos.length && j < mine.length; i += 2, j++) mine[j] = nanos[i];
        return BenchmarkDoc.medianMs(mine);
    }


    private static void writeDoc(List<Row> rows) throws java.io.IOException {
        StringBuilder t = new StringBuilder()
                .append("Measured by `make bench` (date=").append(LocalDate.now()).append(", accelerator=")
                .append(TestServer.host().accelerator().label()).append(", cpus=")
                .append(Runtime.getRuntime().availableProcessors())
                .append("). Medians through the blocking `WrennClient`, beside the same request sent with a bare ")
                .append("`java.net.http` client, taking turns in the same run (create, pause, resume: ").append(RUNS)
                .append(" runs; get, exec: ").append(QUICK_RUNS).append("). Target: the SDK adds at most 1 ms. Pause and resume ")
                .append("are split 5 and 5 between the two sides, so their differences sit within the runtime's run-to-run ")
                .append("spread; get and exec, with ").append(QUICK_RUNS).append(" runs each, show the SDK's own cost.\n\n")
                .append("| metric | SDK | bare HTTP | overhead | call |\n|---|---|---|---|---|\n");
        for (Row r : rows) {
            t.append(String.format(Locale.ROOT, "| `%s` | %.2f ms | %.2f ms | %+.2f ms | `%s` |%n", r.name(), r.sdk(), r.http(),
                    r.sdk() - r.http(), r.what()));
        }
        BenchmarkDoc.replaceSection("sdk", "Java SDK (over the API)", t.toString());
    }
}
