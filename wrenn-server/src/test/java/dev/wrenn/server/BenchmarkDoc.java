package dev.wrenn.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;

/** docs/benchmarks.md, where each benchmark owns one section between its markers. */
public final class BenchmarkDoc {
    private BenchmarkDoc() {}

    /** The median of {@code nanos}, in milliseconds. */
    public static double medianMs(long[] nanos) {
        long[] v = nanos.clone();
        java.util.Arrays.sort(v);
        double mid = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2.0;
        return mid / 1e6;
    }

    /** Replaces the section {@code name} (between its markers), or appends it under {@code heading} the first time. */
    public static void replaceSection(String name, String heading, String body) throws IOException {
        String begin = "<!-- " + name + ":begin -->";
        String end = "<!-- " + name + ":end -->";
        String section = begin + "\n" + body.strip() + "\n" + end;
        Path doc = TestServer.repoDir().resolve("docs/benchmarks.md");
        String old = Files.exists(doc) ? Files.readString(doc) : "# Benchmarks\n";
        String updated = old.contains(begin)
                ? old.replaceAll("(?s)" + begin + ".*" + end, Matcher.quoteReplacement(section))
                : old.stripTrailing() + "\n\n## " + heading + "\n\n" + section + "\n";
        Files.writeString(doc, updated);
    }
}
