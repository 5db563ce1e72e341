package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wrenn.host.HostAgent;
import dev.wrenn.host.storage.FileOps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a host on another machine costs a user, through the API: the embedded default (the test
 * server, its host in-process) and a control plane without a host of its own over an agent behind
 * gRPC + TLS on loopback, both on this machine, called by turns. Create-to-running from a warm
 * clone and an exec of {@code true}; the target is at most 5 ms added at the median of the pairs'
 * differences. Run with {@code make bench}.
 */
@Tag("bench")
class RemoteHostApiBenchmark {
    private static final int CREATE_RUNS = 40;
    private static final int EXEC_RUNS = 100;
    private static final int WARM_UP_EXECS = 500;
    private static final String EXEC = "{\"cmd\":\"true\"}";

    @Test
    void aRemoteHostAddsLittleThroughTheApi() throws Exception {
        TestServer.awaitTemplates();
        Api embedded = TestServer.newTeam();
        Path cpDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-remote-bench-");
        try (WrennServer server = WrennServer.start(TestServer.config(cpDir).prepareTemplates(false)
                .hostSilentAfter(Duration.ofMinutes(10)).build(), null);
             TestAgent agent = TestAgent.start("bench", server.hosts(), 1)) {
            agent.host().prepareBuiltIn("minimal");
            Api remote = new Api("http://127.0.0.1:" + server.port(), server.firstKey().orElseThrow());

            // the embedded path's code is warm from every test before this one; the wire's (gRPC, TLS,
            // HTTP/2) is not, and a call's cost falls from 4 ms to under 1 ms over its first thousand
            // calls: both paths are warmed alike first, so the difference is the wire, not the JIT
            String onEmbedded = embedded.createRunning();
            String onRemote = remote.createRunning();
            for (int i = 0; i < WARM_UP_EXECS; i++) {
                timedExec(embedded, onEmbedded);
                timedExec(remote, onRemote);
            }

            long[][] create = new long[2][CREATE_RUNS];
            for (int i = -2; i < CREATE_RUNS; i++) {   // two rounds not counted: the JIT and the pools settle
                for (int turn = 0; turn < 2; turn++) {
                    int side = (Math.max(i, 0) + turn) % 2;   // each side first in every other round
                    Api api = side == 0 ? embedded : remote;
                    // both pools full: the other side's refill must not run during this create
                    awaitWarmClone(TestServer.host());
                    awaitWarmClone(agent.host());
                    long t0 = System.nanoTime();
                    String id = api.createRunning();
                    long took = System.nanoTime() - t0;
                    if (i >= 0) create[side][i] = took;
                    api.destroyQuietly(id);
                }
            }

            long[][] exec = new long[2][EXEC_RUNS];
            for (int i = 0; i < EXEC_RUNS; i++) {
                long a = timedExec(embedded, onEmbedded);
                long b = timedExec(remote, onRemote);
                exec[0][i] = a;
                exec[1][i] = b;
            }
            embedded.destroyQuietly(onEmbedded);
            remote.destroyQuietly(onRemote);

            List<String[]> rows = List.of(
                    row("api_create_embedded_ms", BenchmarkDoc.medianMs(create[0]), "–", "POST /capsules until running, warm clone"),
                    row("api_create_remote_ms", BenchmarkDoc.medianMs(create[1]), "–", "the same on the agent behind gRPC"),
                    row("api_create_remote_added_ms", medianDifferenceMs(create), "≤ 5 ms",
                            "median of the back-to-back pairs' differences"),
                    row("api_exec_embedded_ms", BenchmarkDoc.medianMs(exec[0]), "–", "POST /exec of `true`"),
                    row("api_exec_remote_ms", BenchmarkDoc.medianMs(exec[1]), "–", "the same on the agent behind gRPC"),
                    row("api_exec_remote_added_ms", medianDifferenceMs(exec), "≤ 5 ms",
                            "median of the back-to-back pairs' differences"));
            StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "Measured by `make bench` (date=%s, accelerator=%s,"
                            + " cpus=%d). The embedded default (the test server) and a control plane with `--no-embedded-host`"
                            + " over one host agent behind gRPC + TLS on loopback, in one JVM on this machine, called through"
                            + " the API by turns (`RemoteHostApiBenchmark`): %d creates from a warm clone each, %d execs,"
                            + " after %d execs on each path that are not counted (the wire's code is cold at first, where"
                            + " the embedded path's was warmed by the tests before). The difference is what a user sees of"
                            + " the wire: admission's reading of the agent's capacity (reused for 5 s), the create or exec"
                            + " call, and the control plane's work around them.%n%n| metric | median | target |"
                            + " what |%n|---|---|---|---|%n", LocalDate.now(), TestServer.host().accelerator().label(),
                    Runtime.getRuntime().availableProcessors(), CREATE_RUNS, EXEC_RUNS, WARM_UP_EXECS));
            for (String[] r : rows) {
                System.out.println("BENCH " + r[0] + " " + r[1] + " ms");
                t.append(String.format(Locale.ROOT, "| `%s` | %s ms | %s | %s |%n", r[0], r[1], r[2], r[3]));
            }
            BenchmarkDoc.replaceSection("remote-api", "Host protocol through the API (embedded vs an agent over gRPC)",
                    t.toString());
        } finally {
            FileOps.deleteTree(cpDir);
        }
    }

    private static String[] row(String name, double ms, String target, String what) {
        return new String[] {name, String.format(Locale.ROOT, "%.1f", ms), target, what};
    }

    private static long timedExec(Api api, String id) {
        long t0 = System.nanoTime();
        assertEquals(200, api.exec(id, EXEC).status());
        return System.nanoTime() - t0;
    }

    /** Waits until the host's warm pool holds what it aims for, so a create measures the warm path, not the refill. */
    private static void awaitWarmClone(HostAgent host) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (host.warmClones("minimal") < Math.max(1, host.warmTarget("minimal")) && System.nanoTime() < deadline) {
            Api.sleepFor(Duration.ofMillis(20));
        }
        Api.sleepFor(Duration.ofMillis(200));   // the refill's last steps would compete for the CPU with what is measured
    }

    /** The median of the runs' differences, remote less embedded, each pair measured back to back. */
    private static double medianDifferenceMs(long[][] t) {
        long[] d = new long[t[0].length];
        for (int i = 0; i < d.length; i++) d[i] = t[1][i] - t[0][i];
        Arrays.sort(d);
        return d[d.length / 2] / 1e6;
    }
}
