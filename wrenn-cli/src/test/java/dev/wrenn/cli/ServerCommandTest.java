package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code wrenn server}: first key once, keys made by the CLI work, SIGTERM stops it. */
class ServerCommandTest {
    private static final Pattern URL = Pattern.compile("Wrenn API: (http://\\S+/api)");
    private static final Pattern KEY = Pattern.compile("First API key \\(shown only this once\\): (wrn_[0-9a-f]{32})");

    @Test
    void aFreshServerPrintsItsUrlAndAFirstKeyOnceAndStopsOnSigterm(@TempDir Path dir) throws Exception {
        List<String> first = new ArrayList<>();
        Process p = start(dir, first);
        try {
            String url = match(URL, first);
            String key = match(KEY, first);
            assertEquals(200, get(url + "/v1/capsules", key), "the first key works");
            assertEquals(401, get(url + "/v1/capsules", "wrn_" + "0".repeat(32)));

            CliRun created = CliRun.of(Main.commandLine(), "keys", "create", "--name", "second", "--data-dir", dir.toString());
            assertEquals(0, created.exit(), created::toString);
            assertEquals(200, get(url + "/v1/capsules", created.out().strip()), "a key made by the CLI works at once");
        } finally {
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "SIGTERM stops the server");
        }
        List<String> second = new ArrayList<>();
        Process again = start(dir, second);
        try {
            match(URL, second);
            assertTrue(second.stream().noneMatch(l -> l.contains("First API key")), "the first key is shown only once");
        } finally {
            again.destroy();
            again.waitFor(60, TimeUnit.SECONDS);
        }
    }

    /**
     * SIGTERM at any moment of the start, while it builds the built-in templates or fills its warm
     * pool, stops every VM the server started: they run in sessions of their own and would outlive it.
     */
    @Test
    void sigtermDuringTheStartLeavesNoVmRunning(@TempDir Path dir) throws Exception {
        Path log = dir.resolveSibling(dir.getFileName() + ".log");
        try {
            for (String moment : List.of("cold boot of image", "built-in template ready", "wrenn server listening")) {
                String java = ProcessHandle.current().info().command().orElse("java");
                ProcessBuilder server = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                        "-Dwrenn.repo=" + System.getProperty("wrenn.repo"), "-cp", System.getProperty("java.class.path"),
                        Main.class.getName(), "server", "--port", "0", "--host", "127.0.0.1", "--data-dir", dir.resolve("data").toString())
                        .redirectErrorStream(true).redirectOutput(log.toFile());
                // the moments of a real build: with the template cache a fresh data dir would link its templates in
                server.environment().put("WRENN_TEMPLATE_CACHE", "off");
                Process p = server.start();
                awaitLine(log, moment, p);
                p.destroy();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "SIGTERM stops the server");
                Thread.sleep(500);   // a VM left behind would still run now: its exit is not awaited by anything
                List<Long> left = WrennProcess.vmsIn(dir);
                left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
                assertEquals(List.of(), left, "VMs left running after SIGTERM at '" + moment + "'");
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static void awaitLine(Path log, String text, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (Files.readString(log).contains(text)) return;
            Thread.sleep(20);
        }
        throw new AssertionError("no '" + text + "' in the server's log within 5 min:\n" + Files.readString(log));
    }

    /** Starts {@code wrenn server} in its own JVM and collects stdout lines until the URL line (and the key, if any). */
    private static Process start(Path dir, List<String> lines) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "server", "--port", "0", "--host", "127.0.0.1", "--data-dir", dir.toString(),
                "--no-prepare-templates")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            lines.add(line);
            if (line.startsWith("Wrenn API:")) {
                // the key, when there is one, follows at once; log lines may follow at any time, or never
                Thread.sleep(300);
                while (out.ready() && (line = out.readLine()) != null) lines.add(line);
                return p;
            }
        }
        throw new AssertionError("wrenn server ended before it was ready: " + lines);
    }

    private static String match(Pattern p, List<String> lines) {
        for (String l : lines) {
            Matcher m = p.matcher(l);
            if (m.find()) return m.group(1);
        }
        throw new AssertionError(p + " not in " + lines);
    }

    private static int get(String url, String key) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("X-API-Key", key).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }
}
