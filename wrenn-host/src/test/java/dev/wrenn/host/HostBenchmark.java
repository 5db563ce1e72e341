package dev.wrenn.host;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.api.TemplateInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
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

    private record Metric(String name, double value, String unit, double target, String bound) {}

    @Test
    void runtime() throws Exception {
        HostAgent host = TestHost.agent();
        List<Metric> metrics = new ArrayList<>();
        Path coldDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-bench-");
        HostAgent cold = HostAgent.start(TestHost.config().withDataDir(coldDir).withWarmPool(0));
        cold.ensureBuiltIn(BuiltInTemplate.MINIMAL);

        metrics.add(new Metric("cold_boot_ms", median(RUNS, () -> host.coldBoot(BuiltInTemplate.MINIMAL).toMillis()),
                "ms", Double.NaN, "kernel boot under TCG + module loading in the guest"));

        List<String> ids = new ArrayList<>();
        metrics.add(new Metric("create_from_template_ms", median(RUNS, () -> {
            awaitWarmClone(host);
            String id = TestHost.newId();
            long t0 = System.nanoTime();
            host.create(id, "minimal", null, null);
            ids.add(id);
            return (System.nanoTime() - t0) / 1_000_000;
        }), "ms", 150, "warm pool: hand-over + INIT; without a waiting clone see create_cold_ms"));
        metrics.add(new Metric("create_cold_ms", median(RUNS, () -> {
            String id = TestHost.newId();
            long t0 = System.nanoTime();
            cold.create(id, "minimal", null, null);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            cold.destroy(id);
            return ms;
        }), "ms", Double.NaN, "QEMU start + restore + first guest requests in a process whose TCG code cache is empty"));
        ids.subList(1, ids.size()).forEach(host::destroy);
        String id = ids.get(0);
        Guest g = host.guest(id);
        awaitWarmClone(host); // the pool's refill would compete for the CPU with what follows

        long[] exec = new long[100];
        for (int i = 0; i < exec.length; i++) {
            long t0 = System.nanoTime();
            g.run(ExecRequest.command("true").build());
            exec[i] = System.nanoTime() - t0;
        }
        metrics.add(new Metric("exec_roundtrip_ms", medianNanosAsMs(exec), "ms", 10, "fork+exec of a process under TCG"));

        Thread.sleep(1000);
        metrics.add(new Metric("idle_rss_mib", host.vmmRssKib(id) / 1024.0, "MiB", 100, "guest pages touched since restore"));

        long[] pause = new long[RUNS];
        long[] resume = new long[RUNS];
        double pausedDisk = 0;
        for (int i = 0; i < RUNS; i++) {
            // a capsule is paused after some idle time (auto-pause), not the instant it resumed:
            // by then the RAM file written by the last resume is on disk
            Thread.sleep(2000);
            long t0 = System.nanoTime();
            host.pause(id);
            pause[i] = System.nanoTime() - t0;
            if (i == 0) pausedDisk = ownBytes(host, id) / 1048576.0;
            t0 = System.nanoTime();
            host.resume(id);
            resume[i] = System.nanoTime() - t0;
        }
        metrics.add(new Metric("pause_ms", medianNanosAsMs(pause), "ms", 100, "guest sync + FIFREEZE, fsync of the RAM file's changed pages"));
        metrics.add(new Metric("resume_ms", medianNanosAsMs(resume), "ms", 150, "first guest requests after a restore (HELLO, FITHAW, clock): TCG translates guest code afresh in each new QEMU"));
        metrics.add(new Metric("paused_disk_mib", pausedDisk, "MiB", Double.NaN, "first pause of a clone: all touched guest RAM (mostly the kernel) in the state file"));
        host.destroy(id);
        cold.close();
        FileOps.deleteTree(coldDir);

        for (Metric m : metrics) {
            System.out.printf(Locale.ROOT, "BENCH %s %.1f %s%n", m.name(), m.value(), m.unit());
        }
        writeTable(metrics, host);
    }

    private static void awaitWarmClone(HostAgent host) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (host.warmClones("minimal") == 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
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

    private static double median(int runs, LongSupplier run) {
        long[] v = new long[runs];
        for (int i = 0; i < runs; i++) v[i] = run.getAsLong();
        Arrays.sort(v);
        return runs % 2 == 1 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2.0;
    }

    private static double medianNanosAsMs(long[] nanos) {
        long[] v = nanos.clone();
        Arrays.sort(v);
        double mid = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
        return mid / 1e6;
    }

    private static void writeTable(List<Metric> metrics, HostAgent host) throws IOException {
        StringBuilder t = new StringBuilder();
        t.append("| metric | median | target | status | what bounds it |\n|---|---|---|---|---|\n");
        for (Metric m : metrics) {
            String target = Double.isNaN(m.target()) ? "–" : String.format(Locale.ROOT, "≤ %.0f %s", m.target(), m.unit());
            String status = Double.isNaN(m.target()) ? "–" : m.value() <= m.target() ? "met"
                    : String.format(Locale.ROOT, "missed by %.1f %s (%.0f%%)", m.value() - m.target(), m.unit(),
                    100 * (m.value() - m.target()) / m.target());
            t.append(String.format(Locale.ROOT, "| `%s` | %.1f %s | %s | %s | %s |%n", m.name(), m.value(), m.unit(),
                    target, status, m.bound()));
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("date", LocalDate.now().toString());
        env.put("accelerator", host.accelerator().label());
        env.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        TemplateInfo minimal = host.template("minimal").orElseThrow();
        env.put("template", "minimal, " + minimal.vcpus() + " vCPU, " + minimal.memoryMb() + " MiB");
        StringBuilder section = new StringBuilder("<!-- runtime:begin -->\n");
        section.append("Measured by `make bench` (").append(env.toString().replaceAll("[{}]", ""))
                .append("), medians of ").append(RUNS).append(" runs (exec: 100).\n\n").append(t).append("<!-- runtime:end -->");
        Path doc = Path.of(System.getProperty("wrenn.repo", "..")).resolve("docs/benchmarks.md");
        String old = Files.exists(doc) ? Files.readString(doc) : "# Benchmarks\n\n## Runtime (host agent, no HTTP)\n\n<!-- runtime:begin -->\n<!-- runtime:end -->\n";
        String updated = old.replaceAll("(?s)<!-- runtime:begin -->.*<!-- runtime:end -->",
                java.util.regex.Matcher.quoteReplacement(section.toString()));
        Files.writeString(doc, updated);
    }
}
