package dev.wrenn.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.server.Api;
import dev.wrenn.server.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs every example as its own program, the way a reader would ({@code java -cp ... dev.wrenn.examples.X}),
 * against a real server, and checks that it does what it says and leaves no capsule behind. One team for
 * all: the examples run one after another, and each must destroy what it creates (a team may have at
 * most {@value TestServer#TEAM_LIMIT} active capsules).
 */
class ExamplesTest {
    private static final Pattern CAPSULE_ID = Pattern.compile("cl-[0-9a-z]{25}");
    /** Every example this class runs; {@link #everyExampleIsRunHereAndListedInTheReadme()} keeps it complete. */
    private static final Set<String> COVERED = Set.of("CreateCapsule", "ListCapsules", "GetCapsule", "PauseCapsule",
            "LowLevelClient", "AsyncClient", "EphemeralCapsule");
    private static final long EXAMPLE_TIMEOUT_MINUTES = 5;

    private static Api team;
    private static String baseUrl;

    @BeforeAll
    static void server() {
        TestServer.awaitTemplates();
        team = TestServer.newTeam();
        baseUrl = TestServer.baseUrl() + "/api";
    }

    @AfterEach
    void leavesNoActiveCapsule() {
        Api.Response active = team.get("/v1/capsules?status=pending,starting,running,paused");
        assertEquals(200, active.status(), active::toString);
        assertEquals(0, active.json().size(), () -> "an example left capsules behind: " + active);
    }

    @Test
    void createCapsulePrintsARunningCapsuleAndDestroysIt() {
        String out = succeeds("CreateCapsule");
        String id = capsuleId(out);
        assertTrue(out.contains("\nrunning\n"), out);
        assertEquals("stopped", team.capsule(id).path("status").asText());
        assertEquals("base-python", team.capsule(id).path("template").asText());
        assertEquals(1024, team.capsule(id).path("memory_mb").asInt());
    }

    @Test
    void listCapsulesShowsEachCapsuleWithItsStatus() {
        String id = team.createRunning();
        try {
            String out = succeeds("ListCapsules");
            assertTrue(out.contains(id + " running"), out);
        } finally {
            team.destroyQuietly(id);
        }
    }

    @Test
    void getCapsulePrintsTheCapsulesFields() {
        String out = succeeds("GetCapsule");
        String id = capsuleId(out);
        assertTrue(out.contains("id:             " + id), out);
        assertTrue(out.contains("status:         running"), out);
        assertTrue(out.contains("template:       minimal"), out);
        assertTrue(out.contains("status now: running"), out);
    }

    @Test
    void getCapsuleWithAnIdLooksAtThatCapsuleAndLeavesIt() {
        String id = team.createRunning();
        try {
            String out = succeeds("GetCapsule", id);
            assertTrue(out.contains("id:             " + id), out);
            assertEquals("running", team.capsule(id).path("status").asText());
        } finally {
            team.destroyQuietly(id);
        }
    }

    @Test
    void pauseCapsuleShowsPausedThenStateSurvivingTheResume() {
        String out = succeeds("PauseCapsule");
        assertTrue(out.contains("status: paused\nstatus: running\n"), out);
        String before = field(out, "state before pause: ");
        assertEquals(before, field(out, "state after resume: "), out);
        assertTrue(Pattern.compile("process \\d+ \\(sleeper\\) still running: true").matcher(out).find(), out);
    }

    @Test
    void lowLevelClientGoesThroughEveryCapsuleAndSnapshotOperation() {
        String out = succeeds("LowLevelClient");
        String id = capsuleId(out);
        for (String line : List.of("get " + id + ": running", "pinged " + id, "snapshot snap-" + id + " (snapshot",
                "  template snap-" + id, "  template minimal (built-in)", "deleted snapshot snap-" + id,
                "pause " + id + ": paused", "resume " + id + ": running", "destroyed " + id + ": stopped")) {
            assertTrue(out.contains(line), "'" + line + "' missing from:\n" + out);
        }
        assertFalse(team.get("/v1/snapshots").json().findValuesAsText("name").contains("snap-" + id),
                "the snapshot template was not deleted");
    }

    @Test
    void asyncClientCreatesListsTemplatesAndDestroys() {
        String out = succeeds("AsyncClient");
        String id = capsuleId(out);
        for (String line : List.of("created " + id + ": running", "capsule " + id + " runs minimal",
                "template minimal (base)", "template base-python (base)", "destroyed " + id)) {
            assertTrue(out.contains(line), "'" + line + "' missing from:\n" + out);
        }
        assertEquals("stopped", team.capsule(id).path("status").asText());
    }

    @Test
    void ephemeralCapsuleRunsCommandsAndMovesFilesThenIsGone() {
        String out = succeeds("EphemeralCapsule");
        String id = capsuleId(out);
        assertTrue(out.contains("hello from "), out);
        assertTrue(out.contains("exit code 0"), out);
        assertTrue(out.contains("read back: Hello, capsule!\n"), out);
        assertTrue(out.contains(" 16 ") && out.contains("/demo/hello.txt"), out);
        assertTrue(out.contains("hi\n16\n"), out);
        assertEquals("stopped", team.capsule(id).path("status").asText());
    }

    @Test
    void withoutAnApiKeyAnExampleFailsNamingTheVariable() {
        Run run = run("ListCapsules", List.of(), false);
        assertNotEquals(0, run.exitCode(), run.output());
        assertTrue(run.output().contains("WRENN_API_KEY"), run.output());
    }

    @Test
    void everyExampleIsRunHereAndListedInTheReadme() throws IOException {
        Set<String> examples = new TreeSet<>();
        Path sources = TestServer.repoDir().resolve("examples/src/main/java/dev/wrenn/examples");
        try (Stream<Path> files = Files.list(sources)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java"))
                    .forEach(n -> examples.add(n.substring(0, n.length() - ".java".length())));
        }
        assertEquals(new TreeSet<>(COVERED), examples, "every example needs a test here");
        String readme = Files.readString(TestServer.repoDir().resolve("README.md"));
        for (String name : examples) {
            assertTrue(readme.contains("examples/run " + name), "README.md does not show how to run " + name);
        }
    }

    private record Run(int exitCode, String output) {}

    private static String succeeds(String example, String... args) {
        Run run = run(example, List.of(args), true);
        assertEquals(0, run.exitCode(), example + " failed:\n" + run.output());
        return run.output();
    }

    /** Runs an example's main in a JVM of its own, with the test class path; stdout and stderr together. */
    private static Run run(String example, List<String> args, boolean withKey) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", // a short program: start fast, spare the CPUs
                "-cp", System.getProperty("java.class.path"), "dev.wrenn.examples." + example));
        command.addAll(args);
        try {
            Path log = Files.createTempFile("wrenn-example-", ".out");
            try {
                ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
                Map<String, String> env = pb.environment();
                env.remove("WRENN_API_KEY");
                env.put("WRENN_BASE_URL", baseUrl);
                if (withKey) env.put("WRENN_API_KEY", team.key());
                Process p = pb.start();
                if (!p.waitFor(EXAMPLE_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                    p.destroyForcibly().waitFor();
                    throw new AssertionError(example + " still running after " + EXAMPLE_TIMEOUT_MINUTES
                            + " minutes:\n" + Files.readString(log, StandardCharsets.UTF_8));
                }
                String output = Files.readString(log, StandardCharsets.UTF_8);
                System.out.println("--- " + example + " " + args + " exited " + p.exitValue() + ":\n" + output);
                return new Run(p.exitValue(), output);
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new AssertionError("could not run " + example, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + example, e);
        }
    }

    private static String capsuleId(String output) {
        Matcher m = CAPSULE_ID.matcher(output);
        assertTrue(m.find(), "no capsule id in:\n" + output);
        return m.group();
    }

    private static String field(String output, String prefix) {
        return output.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()))
                .findFirst().orElseThrow(() -> new AssertionError("no line '" + prefix + "...' in:\n" + output));
    }
}
