package dev.wrenn.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/** What the host's benchmarks share: medians, `BENCH` lines, and their table in docs/benchmarks.md. */
public final class BenchReport {
    /** One figure; {@code target} NaN when there is none, {@code atLeast} when it is a floor. */
    public record Metric(String name, double value, String unit, double target, boolean atLeast, String bound) {
        public Metric(String name, double value, String unit, double target, String bound) {
            this(name, value, unit, target, false, bound);
        }
    }

    private BenchReport() {
    }

    public static double median(int runs, LongSupplier run) {
        long[] v = new long[runs];
        for (int i = 0; i < runs; i++) v[i] = run.getAsLong();
        return medianOf(v);
    }

    public static double medianOf(long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
    }

    public static double medianNanosAsMs(long[] nanos) {
        return medianOf(nanos) / 1e6;
    }

    public static void print(List<Metric> metrics) {
        for (Metric m : metrics) System.out.printf(Locale.ROOT, "BENCH %s %.1f %s%n", m.name(), m.value(), m.unit());
    }

    /** Replaces the {@code <!-- section:begin -->…<!-- section:end -->} part of docs/benchmarks.md (appending it when new). */
    public static void write(String section, String heading, String intro, List<Metric> metrics) throws IOException {
        StringBuilder t = new StringBuilder("<!-- " + section + ":begin -->\n").append(intro).append("\n\n");
        t.append("| metric | median | target | status | what bounds it |\n|---|---|---|---|---|\n");
        for (Metric m : metrics) {
            String target = Double.isNaN(m.target()) ? "–"
                    : String.format(Locale.ROOT, "%s %.0f %s", m.atLeast() ? "≥" : "≤", m.target(), m.unit());
            boolean met = m.atLeast() ? m.value() >= m.target() : m.value() <= m.target();
            String status = Double.isNaN(m.target()) ? "–" : met ? "met"
                    : String.format(Locale.ROOT, "missed by %.1f %s", Math.abs(m.value() - m.target()), m.unit());
            t.append(String.format(Locale.ROOT, "| `%s` | %.1f %s | %s | %s | %s |%n", m.name(), m.value(), m.unit(),
                    target, status, m.bound()));
        }
        t.append("<!-- ").append(section).append(":end -->");
        Path doc = Path.of(System.getProperty("wrenn.repo", "..")).resolve("docs/benchmarks.md");
        String old = Files.exists(doc) ? Files.readString(doc) : "# Benchmarks\n";
        String marker = "(?s)<!-- " + section + ":begin -->.*<!-- " + section + ":end -->";
        String updated = old.contains("<!-- " + section + ":begin -->")
                ? old.replaceAll(marker, java.util.regex.Matcher.quoteReplacement(t.toString()))
                : old.stripTrailing() + "\n\n## " + heading + "\n\n" + t + "\n";
        Files.writeString(doc, updated);
    }
}
