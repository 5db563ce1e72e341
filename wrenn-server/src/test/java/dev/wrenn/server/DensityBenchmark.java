package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.vmm.ProcStatus;
import dev.wrenn.server.Api.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How many idle capsules the default configuration holds, measured the way a user fills a host:
 * a server process started with `wrenn server`'s own settings, {@link #HELD} `minimal` capsules
 * created through the API ({@link #CLIENTS} at a time), each answering an exec right after, their memory
 * and CPU read from {@code /proc} once they are idle, and then creates until the first 503, after
 * which the capsules must still answer and the kernel must not have killed anything for memory.
 * Prints {@code BENCH} lines and writes its section of docs/benchmarks.md. Run with {@code make bench}.
 */
@Tag("bench")
class DensityBenchmark {
    private static final int HELD = 300;
    private static final int CLIENTS = 4;
    private static final int MORE_AT_MOST = 400;
    private static final Duration SETTLE = Duration.ofSeconds(5);
    private static final Duration CPU_WINDOW = Duration.ofSeconds(10);

    /** @param target what issue 10 asks, or "–"; @param status met, missed or "–" */
    private record Row(String name, double value, String unit, String target, String status, String note) {}

    @Test
    void idleCapsules() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-density-");
        Path log = Path.of(dir + ".log");
        long oomBefore = oomKills();
        Process server = ServerProcess.launch(dir, null, log, "-D" + ServerProcess.DEFAULTS + "=true");
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        ExecutorService cleaners = Executors.newFixedThreadPool(2 * CLIENTS);   // a destroy mostly waits for a VM to end
        List<String> ids = Collections.synchronizedList(new ArrayList<>());
        List<Row> rows = new ArrayList<>();
        Api api = null;
        try {
            String[] ready = ServerProcess.awaitReady(server, log);
            api = new Api("http://127.0.0.1:" + ready[1], ready[2]);
            Api user = api;

            long t0 = System.nanoTime();
            List<Integer> outcomes = all(clients, HELD, i -> {
                Response r = user.post("/capsules?wait=true", "{}");
                if (r.status() != 201 || !r.json().get("status").asText().equals("running")) return 0;
                ids.add(r.json().get("id").asText());
                return exec(user, r.json().get("id").asText()) ? 2 : 1;
            });
            double createS = (System.nanoTime() - t0) / 1e9;
            int held = (int) outcomes.stream().filter(o -> o == 2).count();
            assertEquals(HELD, outcomes.stream().filter(o -> o > 0).count(), "creates admitted with the default settings");

            Thread.sleep(SETTLE.toMillis());
            List<Long> pids = vmmPids(dir.resolve("capsules"), ids);
            double cpuPct = cpuPercent(pids, CPU_WINDOW);
            double rssMb = pids.stream().mapToLong(pid -> ProcStatus.read(pid).rssKib()).average().orElse(0) / 1024;
            JsonNode cap = api.get("/api/health").json().get("capacity");

            int more = 0;
            Response refused = null;
            while (more < MORE_AT_MOST) {
                Response r = api.post("/capsules?wait=true", "{}");
                if (r.status() != 201) {
                    refused = r;
                    break;
                }
                ids.add(r.json().get("id").asText());
                more++;
            }
            int refusedStatus = refused == null ? 0 : refused.status();
            List<String> sample = ids.stream().filter(id -> ids.indexOf(id) % 25 == 0).toList();
            long stillAnswering = all(clients, sample.size(), i -> exec(user, sample.get(i))).stream().filter(b -> b).count();
            long oomKills = oomKills() - oomBefore;

            boolean refusedSafely = refusedStatus == 503 && stillAnswering == sample.size() && oomKills == 0;
            rows.add(new Row("idle_capsules_held", held, "capsules", "≥ 300", held >= 300 ? "met" : "missed", HELD
                    + " `minimal` capsules created " + CLIENTS + " at a time, each answering `echo` right after (" + Math.round(createS) + " s in all)"));
            rows.add(new Row("idle_capsule_rss_mb", rssMb, "MiB", "–", "–", "resident memory of one idle capsule's VMM, mean over "
                    + pids.size() + " (counts the shared program pages in each)"));
            rows.add(new Row("idle_capsule_cost_mb", cap.get("vm_memory_mb").asDouble(), "MiB", "–", "–",
                    "what admission counts per VM: anonymous memory + the most guest memory it has had resident"));
            rows.add(new Row("idle_capsule_cpu_pct", cpuPct, "% of a core", "–", "–", "CPU of one idle capsule's VMM over "
                    + CPU_WINDOW.toSeconds() + " s, " + SETTLE.toSeconds() + " s after its exec"));
            rows.add(new Row("capsules_at_first_503", HELD + more, "capsules", "503 before OOM", refusedSafely ? "met" : "missed",
                    "creates went on until the first refusal: " + refusedStatus + " " + (refused == null ? "none" : refused.errorCode())
                    + "; then " + stillAnswering + " of " + sample.size() + " sampled capsules answered an exec and the kernel had"
                    + " killed " + oomKills + " processes for memory"));
            for (Row r : rows) System.out.printf(Locale.ROOT, "BENCH %s %.2f %s%n", r.name(), r.value(), r.unit());
            assertEquals(503, refusedStatus, "the host refuses before it runs out: " + refused);
            assertEquals(sample.size(), stillAnswering, "capsules answer after the refusal");
            assertEquals(0, oomKills, "no OOM kill");
            writeDoc(rows);
        } finally {
            if (api != null) {
                Api user = api;
                all(cleaners, ids.size(), i -> {
                    user.destroyQuietly(ids.get(i));
                    return true;
                });
            }
            clients.shutdownNow();
            cleaners.shutdownNow();
            server.destroy();
            server.waitFor(60, TimeUnit.SECONDS);
            FileOps.deleteTree(dir);
        }
    }

    private static boolean exec(Api api, String id) {
        Response r = api.exec(id, "{\"cmd\":\"echo\",\"args\":[\"ok\"]}");
        return r.status() == 200 && r.json().get("stdout").asText().strip().equals("ok");
    }

    /** Runs {@code task} for 0..n-1 on the clients; the results in order. */
    private static <T> List<T> all(ExecutorService clients, int n, Function<Integer, T> task) throws Exception {
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            futures.add(clients.submit(() -> task.apply(k)));
        }
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) out.add(f.get());
        return out;
    }

    private static List<Long> vmmPids(Path capsulesDir, List<String> ids) throws IOException {
        List<Long> pids = new ArrayList<>();
        for (String id : ids) {
            Path pidFile = capsulesDir.resolve(id).resolve("vmm.pid");
            if (Files.exists(pidFile)) pids.add(Long.parseLong(Files.readString(pidFile).strip()));
        }
        return pids;
    }

    /** Mean CPU of the processes over {@code window}, in percent of one core, from their utime + stime. */
    private static double cpuPercent(List<Long> pids, Duration window) throws Exception {
        long before = ticks(pids);
        Thread.sleep(window.toMillis());
        long after = ticks(pids);
        double clockTicks = 100.0;   // USER_HZ on Linux
        return (after - before) / clockTicks / window.toSeconds() / Math.max(1, pids.size()) * 100;
    }

    private static long ticks(List<Long> pids) {
        long sum = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (IOException | RuntimeException e) {
                // gone: counts nothing
            }
        }
        return sum;
    }

    /** Processes the kernel's OOM killer has killed since boot (vmstat's oom_kill). */
    private static long oomKills() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/vmstat"))) {
            if (line.startsWith("oom_kill ")) return Long.parseLong(line.substring(9).strip());
        }
        return 0;
    }

    private static void writeDoc(List<Row> rows) throws IOException {
        StringBuilder t = new StringBuilder()
                .append("Measured by `make bench` (date=").append(LocalDate.now()).append(", cpus=")
                .append(Runtime.getRuntime().availableProcessors())
                .append(", a server process with `wrenn server`'s default settings, SQLite).\n\n")
                .append("| metric | value | target | status | what |\n|---|---|---|---|---|\n");
        for (Row r : rows) {
            t.append(String.format(Locale.ROOT, "| `%s` | %.2f %s | %s | %s | %s |%n", r.name(), r.value(), r.unit(), r.target(),
                    r.status(), r.note()));
        }
        BenchmarkDoc.replaceSection("density", "Density (idle capsules, default settings)", t.toString());
    }
}
