package dev.wrenn.host;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.api.TemplateInfo;
import dev.wrenn.host.BenchReport.Metric;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runtime benchmark (not a test: it asserts nothing). Medians of at least 10 runs for the
 * built-in `minimal` template with 512 MiB; prints `BENCH name value unit` lines and writes the
 * table into docs/benchmarks.md. Run with `make bench`.
 */
@Tag("bench")
class HostBenchmark {
    private static final int RUNS = 10;
    /** A capsule is paused after some idle time (auto-pause), not the instant it was made or resumed. */
    private static final long IDLE_MS = 2000;
    private static final int BURST = 20;


    @Test
    void runtime() throws Exception {
        HostAgent host = TestHost.agent();
        List<Metric> metrics = new ArrayList<>();
        Path coldDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-bench-");
        HostAgent cold = HostAgent.start(TestHost.config().withDataDir(coldDir).withWarmPool(0));
        cold.ensureBuiltIn(BuiltInTemplate.MINIMAL);

        double coldBoot = BenchReport.median(RUNS, () -> host.coldBoot(BuiltInTemplate.MINIMAL).toMillis());
        metrics.add(new Metric("cold_boot_ms", coldBoot, "ms", Double.NaN, "kernel boot under TCG + module loading in the guest"));

        List<String> ids = new ArrayList<>();
        metrics.add(new Metric("create_from_template_ms", BenchReport.median(RUNS, () -> {
            TestHost.awaitWarmClone(host);
            String id = TestHost.newId();
            long t0 = System.nanoTime();
            host.create(id, "minimal", null, null);
            ids.add(id);
            return (System.nanoTime() - t0) / 1_000_000;
        }), "ms", 150, "warm pool: hand-over + INIT; without a waiting clone see create_cold_ms"));
        metrics.add(new Metric("create_cold_ms", BenchReport.median(RUNS, () -> {
            String id = TestHost.newId();
            long t0 = System.nanoTime();
            cold.create(id, "minimal", null, null);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            cold.destroy(id);
            return ms;
        }), "ms", Double.NaN, "QEMU start + restore + first guest requests in a process whose TCG code cache is empty"));
        ids.subList(1, ids.size()).forEach(host::destroy);
        fanOut(host, metrics);
        String id = ids.get(0);
        Guest g = host.guest(id);
        TestHost.awaitWarmClone(host); // the pool's refill would compete for the CPU with what follows

        long[] exec = new long[100];
        for (int i = 0; i < exec.length; i++) {
            long t0 = System.nanoTime();
            g.run(ExecRequest.command("true").build());
            exec[i] = System.nanoTime() - t0;
        }
        metrics.add(new Metric("exec_roundtrip_ms", BenchReport.medianNanosAsMs(exec), "ms", 10, "fork+exec of a process under TCG"));

        Thread.sleep(1000);
        metrics.add(new Metric("idle_rss_mib", host.vmmRssKib(id) / 1024.0, "MiB", 100, "guest pages touched since restore"));

        host.destroy(id);
        cycles(host, coldBoot, metrics);
        cold.close();
        FileOps.deleteTree(coldDir);

        BenchReport.print(metrics);
        writeTable(metrics, host);
    }


    /**
     * 20 creates at once, twice: first against the pool as it is (its minimum plus what the
     * creates before asked for), then after it has grown to the demand it saw. Target: the slowest
     * of the second burst within 3 times one create alone.
     */
    private static void fanOut(HostAgent host, List<Metric> metrics) throws Exception {
        double single = metrics.stream().filter(m -> m.name().equals("create_from_template_ms")).findFirst().orElseThrow().value();
        TestHost.awaitWarmClone(host);
        double first = slowestOfBurst(host);
        TestHost.awaitWarmClone(host);
        double second = slowestOfBurst(host);
        metrics.add(new Metric("create_parallel20_first_slowest_ms", first, "ms", Double.NaN,
                "20 at once before the pool has seen such demand: most restore a clone each, 2 cores for all"));
        metrics.add(new Metric("create_parallel20_slowest_ms", second, "ms", 3 * single,
                "20 at once after the pool grew to the demand it saw: each hands a waiting clone over (target 3 × create_from_template_ms)"));
        metrics.add(new Metric("warm_pool_grown_to", host.warmTarget("minimal"), "clones", Double.NaN,
                "clones the pool aimed for after the bursts (the largest burst of the last 10 minutes, at most 32)"));
    }

    /** Starts {@link #BURST} creates at once and returns the slowest one's time; destroys them after. */
    private static double slowestOfBurst(HostAgent host) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < BURST; i++) ids.add(TestHost.newId());
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Long>> times = new ArrayList<>();
        for (String id : ids) {
            times.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                long t0 = System.nanoTime();
                host.create(id, "minimal", null, null);
                return (System.nanoTime() - t0) / 1_000_000;
            }, r -> Thread.ofVirtual().start(r)));
        }
        go.countDown();
        try {
            long slowest = 0;
            for (CompletableFuture<Long> t : times) slowest = Math.max(slowest, t.join());
            return slowest;
        } finally {
            ids.forEach(host::destroy);
        }
    }

    /**
     * The path users take: a fresh capsule does some work, idles, is paused and resumed (its first
     * cycle), then paused and resumed again (a later cycle), each after the idle time auto-pause
     * would leave. Targets: every pause and resume within 1/30 of a cold boot, a first resume
     * within twice a later one.
     */
    private static void cycles(HostAgent host, double coldBoot, List<Metric> metrics) throws Exception {
        long[] firstPause = new long[RUNS];
        long[] firstResume = new long[RUNS];
        long[] pause = new long[RUNS];
        long[] resume = new long[RUNS];
        double pausedDisk = 0;
        for (int i = 0; i < RUNS; i++) {
            TestHost.awaitWarmClone(host);
            String id = TestHost.newId();
            host.create(id, "minimal", null, null);
            try {
                host.guest(id).run(ExecRequest.command("sh", "-c", "echo work > /root/work && ls / > /dev/null").build());
                Thread.sleep(IDLE_MS);
                long t0 = System.nanoTime();
                host.pause(id);
                firstPause[i] = System.nanoTime() - t0;
                if (i == 0) pausedDisk = ownBytes(host, id) / 1048576.0;
                t0 = System.nanoTime();
                host.resume(id);
                firstResume[i] = System.nanoTime() - t0;
                Thread.sleep(IDLE_MS);
                t0 = System.nanoTime();
                host.pause(id);
                pause[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                host.resume(id);
                resume[i] = System.nanoTime() - t0;
            } finally {
                host.destroy(id);
            }
        }
        double budget = coldBoot / 30;
        double later = BenchReport.medianNanosAsMs(resume);
        double firstResumeMs = BenchReport.medianNanosAsMs(firstResume);
        metrics.add(new Metric("first_pause_ms", BenchReport.medianNanosAsMs(firstPause), "ms", budget,
                "a clone runs on its own copy of the template's RAM file: device state and the pages changed since its create"));
        metrics.add(new Metric("first_resume_ms", firstResumeMs, "ms", budget, "the same steps as a later resume"));
        metrics.add(new Metric("first_resume_over_later", firstResumeMs / later, "×", 2, "first resume / later resume, same run"));
        metrics.add(new Metric("pause_ms", BenchReport.medianNanosAsMs(pause), "ms", budget,
                "device state only, fsync of the RAM file's changed pages"));
        metrics.add(new Metric("resume_ms", later, "ms", budget,
                "QEMU start, device state, first guest requests (HELLO, INIT): TCG translates guest code afresh in each new QEMU"));
        metrics.add(new Metric("paused_disk_mib", pausedDisk, "MiB", Double.NaN,
                "a capsule paused once: its RAM file (sparse; the template's data plus what changed) and its disk layer"));
    }

    /** Bytes of a paused capsule's own files: its state and disk layers, not the template's it links to. */
    private static long ownBytes(HostAgent host, String id) throws IOException {
        Path dir = host.capsuleDir(id);
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).filter(p -> {
                try {
                    return ((Number) Files.getAttribute(p, "unix:nlink")).intValue() == 1;
                } catch (IOException e) {
                    return true;
                }
            }).mapToLong(FileOps::allocatedBytes).sum();
        }
    }

    private static void writeTable(List<Metric> metrics, HostAgent host) throws IOException {
        TemplateInfo minimal = host.template("minimal").orElseThrow();
        String env = "date=" + LocalDate.now() + ", accelerator=" + host.accelerator().label() + ", cpus="
                + Runtime.getRuntime().availableProcessors() + ", template=minimal, " + minimal.vcpus() + " vCPU, "
                + minimal.memoryMb() + " MiB";
        BenchReport.write("runtime", "Runtime (host agent, no HTTP)",
                "Measured by `make bench` (" + env + "), medians of " + RUNS + " runs (exec: 100).", metrics);
    }
}
