package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.server.Api.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server killed with SIGKILL in the middle of creates, pauses and resumes, then started again
 * on the same data dir and database: nothing is lost. Every capsule ends running or paused with
 * its files, an interrupted create is finished, none is in error. Rounds: {@code
 * -Dwrenn.soak.crashRounds} (1 in `make test`; `make soak` runs 20).
 */
class CrashRecoveryTest {
    private static final Random RANDOM = new Random();
    private static Path dataDir;
    private static Process server;
    private static Api api;
    private static final java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final java.util.Set<String> destroyed = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void up() throws Exception {
        dataDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-crash-");
        String[] ready = start();
        api = new Api("http://127.0.0.1:" + ready[1], ready[2]);
    }

    @AfterAll
    static void down() throws Exception {
        if (server != null && server.isAlive()) {
            destroyAll();
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
        // a VM a failed recovery lost track of must not outlive the test
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(cl -> seen.stream().anyMatch(id -> cl.contains("wrenn-" + id))).orElse(false))
                .forEach(ProcessHandle::destroyForcibly);
        FileOps.deleteTree(dataDir);
        Files.deleteIfExists(log());
    }

    /** The server log's lines (every start of this test's server) that name {@code id}. */
    private static String logOf(String id) {
        try {
            return String.join("\n", Files.readAllLines(log()).stream().filter(l -> l.contains(id)).toList());
        } catch (java.io.IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static Path log() {
        return dataDir.resolveSibling(dataDir.getFileName() + ".log");
    }

    @Test
    void killedDuringCreatePauseAndResumeNoCapsuleIsLost() throws Exception {
        String steady = createRunning();
        write(steady, "steady");
        String parked = createRunning();
        write(parked, "parked");
        assertEquals(200, api.post("/capsules/" + parked + "/pause").status());

        int rounds = Integer.getInteger("wrenn.soak.crashRounds", 1);
        for (int round = 0; round < rounds; round++) {
            String toPause = createRunning();
            write(toPause, "to-pause");
            String toResume = createRunning();
            write(toResume, "to-resume");
            assertEquals(200, api.post("/capsules/" + toResume + "/pause").status());

            List<CompletableFuture<Response>> inFlight = new ArrayList<>();
            inFlight.add(async(() -> api.post("/capsules/" + toPause + "/pause")));
            inFlight.add(async(() -> api.post("/capsules/" + toResume + "/resume")));
            inFlight.add(async(() -> api.post("/capsules", "{}")));
            String template = "crash-" + round;
            inFlight.add(async(() -> api.post("/snapshots", "{\"capsule_id\":\"" + steady + "\",\"name\":\"" + template + "\"}")));
            Thread.sleep(RANDOM.nextInt(250));
            server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            inFlight.forEach(f -> f.handle((r, e) -> null).join());

            String[] ready = start();
            api = new Api("http://127.0.0.1:" + ready[1], api.key());
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put(steady, "steady");
            expected.put(parked, "parked");
            expected.put(toPause, "to-pause");
            expected.put(toResume, "to-resume");
            assertEquals("running", api.capsule(steady).get("status").asText(), "a running capsule is found again");
            assertEquals("paused", api.capsule(parked).get("status").asText(), "a paused capsule stays paused");
            checkEveryCapsuleIsActionable(expected);
            checkSnapshotIsWholeOrAbsent(template);
            assertEquals(200, api.post("/capsules/" + parked + "/pause").status(), "parked again for the next round");
            // all but the two long-lived capsules go, the create in flight included: rounds must not pile up capsules
            for (JsonNode c : api.get("/capsules?status=running,paused").json()) {
                String id = c.get("id").asText();
                if (!id.equals(steady) && !id.equals(parked)) destroy(id);
            }
        }
        System.out.printf("SOAK kill9_rounds=%d capsules_checked=%d lost=0%n", rounds, seen.size());
    }

    @Test
    void aCleanRestartChangesNothing() throws Exception {
        destroyAll();
        String running = createRunning();
        String paused = createRunning();
        api.post("/capsules/" + paused + "/pause");
        JsonNode before1 = api.capsule(running);
        JsonNode before2 = api.capsule(paused);
        server.destroy();
        assertTrue(server.waitFor(60, TimeUnit.SECONDS), "SIGTERM stops the server");
        assertEquals(143, server.exitValue(), "the JVM ends on the signal after its shutdown hook");
        String[] ready = start();
        api = new Api("http://127.0.0.1:" + ready[1], api.key());
        assertEquals(before1, api.capsule(running));
        assertEquals(before2, api.capsule(paused));
        assertEquals(0, api.exec(running, "{\"cmd\":\"true\"}").json().get("exit_code").asInt());
        destroy(running);
        destroy(paused);
    }

    @Test
    void sigtermLetsTheOperationsInFlightFinish() throws Exception {
        destroyAll();
        String id = createRunning();
        write(id, "kept");
        CompletableFuture<Response> pause = async(() -> api.post("/capsules/" + id + "/pause"));
        awaitLogLine("pausing capsule", id); // the pause is in flight when the signal comes
        server.destroy();
        Response r = pause.join();
        assertEquals(200, r.status(), "the pause in flight finishes: " + r);
        assertTrue(server.waitFor(60, TimeUnit.SECONDS), "SIGTERM stops the server");
        String[] ready = start();
        api = new Api("http://127.0.0.1:" + ready[1], api.key());
        assertEquals("paused", api.capsule(id).get("status").asText());
        assertEquals(200, api.post("/capsules/" + id + "/resume").status());
        assertRuns(id, "kept");
        destroy(id);
    }

    /**
     * Nothing is lost: every capsule is running (and runs commands) or paused (and resumes), with
     * its files; an interrupted create is finished. None is in error: each VM here can come back.
     */
    private static void checkEveryCapsuleIsActionable(Map<String, String> content) {
        List<JsonNode> all = new ArrayList<>();
        api.get("/capsules").json().forEach(all::add);
        for (String id : content.keySet()) {
            assertTrue(all.stream().anyMatch(c -> c.get("id").asText().equals(id)), id + " is still listed");
        }
        for (JsonNode c : all) {
            String id = c.get("id").asText();
            seen.add(id);
            switch (c.get("status").asText()) {
                case "running" -> assertRuns(id, content.get(id));
                case "pending", "starting" -> {
                    api.awaitStatus(id, "running", Duration.ofMinutes(2));
                    assertRuns(id, content.get(id));
                }
                case "paused" -> {
                    Response r = api.post("/capsules/" + id + "/resume");
                    assertEquals(200, r.status(), "resume of " + c + ": " + r);
                    assertRuns(id, content.get(id));
                }
                case "stopped" -> assertTrue(destroyed.contains(id), () -> "capsule stopped without being destroyed: " + c);
                default -> throw new AssertionError("capsule left " + c.get("status").asText()
                        + " after a restart (nothing may be lost): " + c + "\nthe server's log of it:\n" + logOf(id));
            }
        }
    }

    /** A snapshot the kill interrupted was either recorded whole (a capsule made from it has the files) or not at all. */
    private static void checkSnapshotIsWholeOrAbsent(String template) {
        Response list = api.get("/snapshots");
        assertEquals(200, list.status(), list::toString);
        boolean recorded = false;
        for (JsonNode t : list.json()) recorded |= t.get("name").asText().equals(template);
        if (!recorded) return;
        Response r = api.post("/capsules", "{\"template\":\"" + template + "\"}");
        assertEquals(201, r.status(), r::toString);
        String id = r.json().get("id").asText();
        seen.add(id);
        api.awaitStatus(id, "running", Duration.ofMinutes(2));
        assertRuns(id, "steady");
        destroy(id);
        assertEquals(204, api.delete("/snapshots/" + template).status());
    }

    private static void destroy(String id) {
        destroyed.add(id);
        api.delete("/capsules/" + id);
    }

    private static void destroyAll() {
        for (JsonNode c : api.get("/capsules").json()) {
            destroyed.add(c.get("id").asText());
            api.destroyQuietly(c.get("id").asText());
        }
    }

    private static void assertRuns(String id, String content) {
        Response r = api.exec(id, "{\"cmd\":\"cat\",\"args\":[\"/root/mark\"]}");
        assertEquals(200, r.status(), id + ": " + r);
        if (content != null) assertEquals(content, r.json().get("stdout").asText(), "files survive for " + id);
    }

    private static String createRunning() {
        Response r = api.post("/capsules", "{}");
        assertEquals(201, r.status(), r::toString);
        String id = r.json().get("id").asText();
        seen.add(id);
        api.awaitStatus(id, "running", Duration.ofMinutes(5));
        return id;
    }

    private static void write(String id, String content) {
        Response r = api.exec(id, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"printf %s " + content + " > /root/mark\"]}");
        assertEquals(200, r.status(), r::toString);
    }

    /** Waits until the server's log has a line with every one of {@code parts}. */
    private static void awaitLogLine(String... parts) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readAllLines(log()).stream().anyMatch(l -> java.util.Arrays.stream(parts).allMatch(l::contains))) return;
            Thread.sleep(5);
        }
        throw new AssertionError("no log line with " + String.join(" and ", parts) + " within 30 s; see " + log());
    }

    private static CompletableFuture<Response> async(java.util.function.Supplier<Response> call) {
        return CompletableFuture.supplyAsync(call);
    }

    /** Starts the server process on the data dir; {@code [READY, port, key]}. */
    private static String[] start() throws IOException {
        server = ServerProcess.launch(dataDir, null, log());
        return ServerProcess.awaitReady(server, log());
    }
}
