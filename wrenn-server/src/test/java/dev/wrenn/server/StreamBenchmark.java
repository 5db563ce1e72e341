package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wrenn.host.api.Guest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The streams as users see them, each beside its baseline from the same run: the first byte of a
 * streamed command against a plain exec, a terminal's keystroke echo against the exec round trip,
 * streamed file throughput against the guest channel's own (no HTTP), and the server's live heap
 * while a 512 MiB file passes through it.
 */
@Tag("bench")
class StreamBenchmark {
    private static final int RUNS = 30;
    private static final long FILE = 256L << 20;
    private static final long BIG_FILE = 512L << 20;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private record Row(String name, double value, double baseline, String unit, String target, String what) {}

    @Test
    void streams() throws Exception {
        TestServer.awaitTemplates();
        Api api = TestServer.newTeam();
        String id = api.createRunning();
        List<Row> rows = new ArrayList<>();
        try {
            long[] exec = new long[RUNS];
            long[] firstByte = new long[RUNS];
            for (int i = 0; i < RUNS; i++) {
                long t0 = System.nanoTime();
                assertEquals(200, api.exec(id, "{\"cmd\":\"true\"}").status());
                exec[i] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/exec/stream", api.key())) {
                    ws.sendText("{\"type\":\"start\",\"cmd\":\"echo\",\"args\":[\"x\"]}");
                    ws.untilType("stdout", WAIT);
                    firstByte[i] = System.nanoTime() - t0;
                    ws.untilType("exit", WAIT);
                }
            }
            double execMs = BenchmarkDoc.medianMs(exec);
            rows.add(new Row("stream_first_byte_ms", BenchmarkDoc.medianMs(firstByte), execMs, "ms", "–",
                    "open the exec stream, start `echo x`, first stdout frame; baseline: api_exec_true_ms"));
            rows.add(new Row("pty_echo_ms", ptyEcho(api, id), execMs, "ms", "≤ 2× baseline",
                    "a keystroke to a bash terminal until its echo arrives; baseline: api_exec_true_ms"));

            Guest raw = TestServer.host().guest(id);
            double rawUp = mibPerS(FILE, () -> raw.writeFile("/root/raw.bin", new StreamedFiles.Pattern(FILE), 0644));
            double rawDown = mibPerS(FILE, () -> raw.readFile("/root/raw.bin", OutputStream.nullOutputStream()));
            double up = mibPerS(FILE, () -> upload(api, id, "/root/api.bin", FILE));
            double down = mibPerS(FILE, () -> download(api, id, "/root/api.bin"));
            rows.add(new Row("file_stream_up_mib_s", up, rawUp, "MiB/s", "≥ 50% of baseline",
                    "files/stream/write of " + (FILE >> 20) + " MiB; baseline: the guest channel's WRITE, no HTTP"));
            rows.add(new Row("file_stream_down_mib_s", down, rawDown, "MiB/s", "≥ 50% of baseline",
                    "files/stream/read of " + (FILE >> 20) + " MiB; baseline: the guest channel's READ, no HTTP"));
            api.exec(id, "{\"cmd\":\"rm\",\"args\":[\"-f\",\"/root/raw.bin\",\"/root/api.bin\"]}");

            rows.add(heapDuringTransfer(api, id));
        } finally {
            api.destroyQuietly(id);
        }
        for (Row r : rows) System.out.printf(Locale.ROOT, "BENCH %s %.1f %s%n", r.name(), r.value(), r.unit());
        writeDoc(rows);
    }

    /** Median keystroke-to-echo time of {@link #RUNS} keys in one open terminal. */
    private static double ptyEcho(Api api, String id) {
        try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/pty", api.key())) {
            ws.sendText("{\"type\":\"start\",\"cmd\":\"/bin/bash\"}");
            ws.untilType("started", WAIT);
            Api.sleepFor(Duration.ofSeconds(1));   // let the prompt arrive first
            drain(ws);
            long[] echo = new long[RUNS];
            for (int i = 0; i < RUNS; i++) {
                String key = Character.toString('a' + i % 26);
                long t0 = System.nanoTime();
                ws.send(WsClient.frame("input").put("data", Base64.getEncoder().encodeToString(key.getBytes())));
                ws.until(f -> f.path("type").asText().equals("output")
                        && new String(Base64.getDecoder().decode(f.get("data").asText())).contains(key), WAIT);
                echo[i] = System.nanoTime() - t0;
            }
            return BenchmarkDoc.medianMs(echo);
        }
    }

    private static void drain(WsClient ws) {
        try {
            while (true) ws.next(Duration.ofMillis(200));
        } catch (AssertionError nothingMore) {
            // the terminal is quiet
        }
    }

    /**
     * The server's live heap (after a collection) while a 512 MiB file is uploaded, sampled every
     * 64 MiB: the largest growth over the heap before the transfer.
     */
    private static Row heapDuringTransfer(Api api, String id) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        AtomicLong maxGrowth = new AtomicLong();
        InputStream sampled = new StreamedFiles.Pattern(BIG_FILE) {
            private long sent;

            @Override
            public int read(byte[] b, int off, int len) {
                int n = super.read(b, off, len);
                if (n > 0 && (sent + n) / (64 << 20) != sent / (64 << 20)) {
                    System.gc();
                    maxGrowth.accumulateAndGet(memory.getHeapMemoryUsage().getUsed() - before, Math::max);
                }
                sent += Math.max(n, 0);
                return n;
            }
        };
        send(api, id, "/root/heap.bin", sampled);
        api.exec(id, "{\"cmd\":\"rm\",\"args\":[\"-f\",\"/root/heap.bin\"]}");
        return new Row("stream_heap_growth_mib", maxGrowth.get() / (1024.0 * 1024.0), Double.NaN, "MiB",
                "flat (≪ " + (BIG_FILE >> 20) + " MiB)", "growth of the server's live heap while " + (BIG_FILE >> 20)
                + " MiB pass through files/stream/write (sampled every 64 MiB after a GC; the test client shares the JVM)");
    }

    private static void upload(Api api, String id, String path, long size) {
        send(api, id, path, new StreamedFiles.Pattern(size));
    }

    private static void send(Api api, String id, String path, InputStream content) {
        assertEquals(204, StreamedFiles.upload(api, id, path, content).statusCode());
    }

    private static void download(Api api, String id, String path) {
        try (InputStream in = StreamedFiles.download(api, id, path).body()) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static double mibPerS(long bytes, Runnable transfer) {
        long t0 = System.nanoTime();
        transfer.run();
        return (bytes / (1024.0 * 1024.0)) / ((System.nanoTime() - t0) / 1e9);
    }

    private static void writeDoc(List<Row> rows) throws IOException {
        StringBuilder t = new StringBuilder()
                .append("Measured by `make bench` (date=").append(LocalDate.now()).append(", accelerator=")
                .append(TestServer.host().accelerator().label()).append(", cpus=")
                .append(Runtime.getRuntime().availableProcessors())
                .append(", one `minimal` capsule, loopback). Latencies are medians of ").append(RUNS)
                .append(" runs, each beside its baseline measured in the same run.\n\n")
                .append("| metric | value | baseline | target | status | what |\n|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            String baseline = Double.isNaN(r.baseline()) ? "–" : String.format(Locale.ROOT, "%.1f %s", r.baseline(), r.unit());
            t.append(String.format(Locale.ROOT, "| `%s` | %.1f %s | %s | %s | %s | %s |%n", r.name(), r.value(), r.unit(),
                    baseline, r.target(), status(r), r.what()));
        }
        BenchmarkDoc.replaceSection("streams", "Streams and terminals (wrenn server)", t.toString());
    }

    private static String status(Row r) {
        return switch (r.name()) {
            case "pty_echo_ms" -> r.value() <= 2 * r.baseline() ? "met" : "missed";
            case "file_stream_up_mib_s", "file_stream_down_mib_s" -> r.value() >= 0.5 * r.baseline() ? "met" : "missed";
            case "stream_heap_growth_mib" -> r.value() < 64 ? "met" : "missed";
            default -> "–";
        };
    }
}
