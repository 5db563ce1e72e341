package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.sdk.WrennClient;
import dev.wrenn.server.TestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code wrenn capsules} and {@code wrenn snapshots} end to end: the SDK against a real server with real capsules. */
class ClientCommandsTest {
    private static final String UNKNOWN_ID = "cl-" + "0".repeat(25);

    private static String key;
    private static String baseUrl;

    @BeforeAll
    static void server() {
        TestServer.awaitTemplates();
        key = TestServer.newTeam().key();
        baseUrl = TestServer.baseUrl() + "/api";
    }

    /** Whatever a failed test left: the team's capsule limit is small. */
    @AfterAll
    static void destroyLeftovers() {
        try (WrennClient client = WrennClient.builder().apiKey(key).baseUrl(baseUrl).build()) {
            client.capsules().list().stream().filter(c -> !c.status().isTerminal())
                    .forEach(c -> client.capsules().destroy(c.id()));
        }
    }

    /** {@code wrenn ARGS} in this JVM with the team's key and URL in its environment, as a user's shell would have them. */
    private static CliRun wrenn(String... args) {
        return wrenn(Map.of("WRENN_API_KEY", key, "WRENN_BASE_URL", baseUrl), args);
    }

    private static CliRun wrenn(Map<String, String> env, String... args) {
        return CliRun.of(Main.commandLine(new CliEnvironment(env::get, false)), args);
    }

    /** {@code wrenn ARGS} with {@code input} on a stdin that is a pipe, not a terminal. */
    private static CliRun piped(String input, String... args) {
        CliEnvironment env = new CliEnvironment(Map.of("WRENN_API_KEY", key, "WRENN_BASE_URL", baseUrl)::get, false,
                new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), false);
        return CliRun.of(Main.commandLine(env), args);
    }

    private static CliRun ok(String... args) {
        CliRun r = wrenn(args);
        assertEquals(0, r.exit(), r::toString);
        return r;
    }

    @Test
    void aCapsuleFromCreateToDestroy() {
        // the template's own size: another size would boot a template of that size first
        CliRun created = ok("capsules", "create", "--json", "--template", "minimal", "--timeout-sec", "600",
                "--metadata", "owner=cli-test", "--metadata", "run=1");
        JsonNode c = created.json();
        String id = c.get("id").asText();
        try {
            assertEquals("running", c.get("status").asText(), created::toString);
            assertEquals(600, c.get("timeout_sec").asInt(), "API field names: " + c);
            assertEquals(512, c.get("memory_mb").asInt(), "an unset option takes the server's default");
            assertEquals("cli-test", c.path("metadata").path("owner").asText(), c::toString);
            assertTrue(c.has("last_active_at") && c.has("status_reason"), c::toString);
            assertTrue(created.err().contains("Creating capsule from minimal...")
                    && created.err().contains("done in"), "a start and a done line: " + created.err());

            CliRun get = ok("capsules", "get", id);
            assertTrue(get.out().lines().anyMatch(l -> l.matches("id:\\s+" + id)), get::toString);
            assertTrue(get.out().lines().anyMatch(l -> l.matches("status:\\s+running")), get::toString);
            assertTrue(get.out().contains("owner=cli-test"), get::toString);
            assertEquals(id, ok("capsules", "get", id, "--json").json().get("id").asText());

            CliRun list = ok("capsules", "list");
            assertTrue(list.out().startsWith("ID "), list::toString);
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith(id + "  ") && l.contains("running") && l.contains("512 MiB")),
                    list::toString);
            assertFalse(ok("capsules", "list", "--status", "paused,stopped").out().contains(id));
            assertTrue(ids(ok("capsules", "list", "--json", "--status", "running").json()).contains(id));
            assertTrue(ids(ok("capsules", "list", "--json", "--metadata", "owner=cli-test").json()).contains(id));
            assertFalse(ids(ok("capsules", "list", "--json", "--metadata", "owner=someone-else").json()).contains(id));

            exec(id);

            CliRun ping = ok("capsules", "ping", id);
            assertTrue(ping.err().contains(id), ping::toString);

            snapshot(id);

            CliRun paused = ok("capsules", "pause", id, "--json");
            assertEquals("paused", paused.json().get("status").asText(), paused::toString);
            assertTrue(paused.err().contains("Pausing " + id + "..."), paused::toString);
            assertTrue(ids(ok("capsules", "list", "--status", "paused", "--json").json()).contains(id));
            CliRun resumed = ok("capsules", "resume", id);
            assertTrue(resumed.out().lines().anyMatch(l -> l.matches("status:\\s+running")), resumed::toString);
            assertTrue(resumed.err().contains("Resuming " + id + "... done in"), resumed::toString);

            ok("capsules", "pause", id);
            CliRun afterPause = wrenn("capsules", "exec", id, "--", "echo", "back");
            assertEquals(0, afterPause.exit(), afterPause::toString);
            assertEquals("back\n", afterPause.out(), "exec resumes a paused capsule");
        } finally {
            CliRun destroyed = wrenn("capsules", "destroy", id);
            assertEquals(0, destroyed.exit(), destroyed::toString);
        }
        assertEquals("stopped", ok("capsules", "get", id, "--json").json().get("status").asText());
        CliRun gone = wrenn("capsules", "exec", id, "--", "true");
        assertEquals(1, gone.exit(), gone::toString);
        assertOneErrorLine(gone);
    }

    private static void exec(String id) {
        CliRun split = wrenn("capsules", "exec", id, "--", "sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, split.exit(), split::toString);
        assertEquals("out\n", split.out());
        assertEquals("err\n", split.err());

        CliRun shellLine = wrenn("capsules", "exec", id, "echo hello | tr a-z A-Z");
        assertEquals("HELLO\n", shellLine.out(), "one argument with spaces is a shell line: " + shellLine);
        CliRun argv = wrenn("capsules", "exec", id, "--", "echo", "a  b", "$HOME");
        assertEquals("a  b $HOME\n", argv.out(), "several arguments run without a shell: " + argv);

        CliRun envCwd = wrenn("capsules", "exec", "--env", "GREETING=hi", "--cwd", "/tmp", id, "--", "sh", "-c", "echo $GREETING; pwd");
        assertEquals("hi\n/tmp\n", envCwd.out(), envCwd::toString);

        CliRun timeout = wrenn("capsules", "exec", "--timeout", "1", id, "--", "sleep", "10");
        assertEquals(124, timeout.exit(), timeout::toString);

        CliRun fed = piped("line one\nline two\n", "capsules", "exec", id, "--", "sh", "-c", "cat; echo end-of-input");
        assertEquals("line one\nline two\nend-of-input\n", fed.out(), "a piped stdin is passed on and closed at its end: " + fed);
        CliRun notFed = wrenn("capsules", "exec", id, "--", "sh", "-c", "cat; echo nothing-read");
        assertEquals("nothing-read\n", notFed.out(), "a terminal's stdin is not passed on: the command reads end of file");

        outputComesAsTheCommandWritesIt(id);

        CliRun json = wrenn("capsules", "exec", "--json", id, "--", "sh", "-c", "printf x; exit 5");
        assertEquals(5, json.exit(), json::toString);
        assertEquals("x", json.json().get("stdout").asText());
        assertEquals(5, json.json().get("exit_code").asInt());
        assertFalse(json.json().get("timed_out").asBoolean());

        // bytes that are not UTF-8 arrive as written on a byte stream (what main() gives the command)
        CommandLine cl = Main.commandLine(new CliEnvironment(Map.of("WRENN_API_KEY", key, "WRENN_BASE_URL", baseUrl)::get, false));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        cl.setOut(new ByteWriter(new PrintStream(bytes, true, StandardCharsets.ISO_8859_1)));
        cl.setErr(new PrintWriter(new StringWriter()));
        assertEquals(0, cl.execute("capsules", "exec", id, "--", "printf", "\\377\\000\\303A"));
        assertArrayEquals(new byte[] {(byte) 0xff, 0, (byte) 0xc3, 'A'}, bytes.toByteArray());
    }

    /** The first line is printed while the command still runs, not with the rest at its end. */
    private static void outputComesAsTheCommandWritesIt(String id) {
        CommandLine cl = Main.commandLine(new CliEnvironment(Map.of("WRENN_API_KEY", key, "WRENN_BASE_URL", baseUrl)::get, false));
        List<Long> writtenAt = new CopyOnWriteArrayList<>();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(new Writer() {
            @Override
            public void write(char[] text, int off, int len) {
                writtenAt.add(System.nanoTime());
                out.write(text, off, len);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        }));
        cl.setErr(new PrintWriter(new StringWriter()));
        assertEquals(0, cl.execute("capsules", "exec", id, "--", "sh", "-c", "echo first; sleep 2; echo second"));
        assertEquals("first\nsecond\n", out.toString());
        long apart = writtenAt.getLast() - writtenAt.getFirst();
        assertTrue(apart > Duration.ofMillis(1500).toNanos(), "the lines came " + apart / 1_000_000 + " ms apart");
    }

    private static void snapshot(String id) {
        String name = "cli-" + UUID.randomUUID().toString().substring(0, 8);
        CliRun created = ok("snapshots", "create", id, "--name", name, "--json");
        JsonNode t = created.json();
        assertEquals(name, t.get("name").asText());
        assertEquals("snapshot", t.get("type").asText());
        assertEquals(id, t.get("source_capsule_id").asText());
        assertFalse(t.get("built_in").asBoolean());
        assertTrue(created.err().contains("Snapshotting " + id + " as " + name + "..."), created::toString);

        CliRun again = wrenn("snapshots", "create", id, "--name", name);
        assertEquals(1, again.exit(), "the name is taken: " + again);
        assertOneErrorLine(again);
        ok("snapshots", "create", id, "--name", name, "--overwrite");

        CliRun list = ok("snapshots", "list");
        assertTrue(list.out().startsWith("NAME "), list::toString);
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith(name + " ") && l.contains(id)), list::toString);
        assertTrue(list.out().lines().anyMatch(l -> l.startsWith("minimal ")), list::toString);
        assertTrue(StreamSupport.stream(ok("snapshots", "list", "--json").json().spliterator(), false)
                .anyMatch(n -> n.get("name").asText().equals("minimal") && n.get("built_in").asBoolean()));

        ok("snapshots", "delete", name);
        assertFalse(ok("snapshots", "list").out().contains(name));
        CliRun builtIn = wrenn("snapshots", "delete", "minimal");
        assertEquals(1, builtIn.exit(), builtIn::toString);
        assertOneErrorLine(builtIn);
    }

    @Test
    void anUnknownCapsuleIsOneLineNamingItAndExitOne() {
        for (String cmd : new String[] {"get", "pause", "resume", "ping", "destroy"}) {
            CliRun r = wrenn("capsules", cmd, UNKNOWN_ID);
            assertEquals(1, r.exit(), cmd + ": " + r);
            assertOneErrorLine(r);
            assertTrue(r.err().contains(UNKNOWN_ID), cmd + ": " + r);
        }
        CliRun exec = wrenn("capsules", "exec", UNKNOWN_ID, "--", "true");
        assertEquals(1, exec.exit(), exec::toString);
        assertTrue(exec.err().contains(UNKNOWN_ID), exec::toString);
    }

    @Test
    void withoutAnApiKeyTheErrorNamesTheVariable() {
        CliRun r = wrenn(Map.of(), "capsules", "list");
        assertEquals(2, r.exit(), r::toString);
        assertOneErrorLine(r);
        assertTrue(r.err().contains("WRENN_API_KEY") && r.err().contains("--api-key"), r::toString);
        assertEquals("", r.out());

        CliRun given = wrenn(Map.of(), "snapshots", "list", "--api-key", key, "--base-url", baseUrl);
        assertEquals(0, given.exit(), "the options stand in for the environment: " + given);
    }

    @Test
    void usageMistakesAndUnreachableServersAreOneLineToo() {
        CliRun badKey = wrenn(Map.of("WRENN_API_KEY", "wrn_" + "0".repeat(32), "WRENN_BASE_URL", baseUrl), "capsules", "list");
        assertEquals(1, badKey.exit(), badKey::toString);
        assertOneErrorLine(badKey);

        CliRun nobody = wrenn(Map.of("WRENN_API_KEY", key), "capsules", "list", "--base-url", "http://127.0.0.1:1/api");
        assertEquals(1, nobody.exit(), nobody::toString);
        assertOneErrorLine(nobody);

        CliRun badStatus = wrenn("capsules", "list", "--status", "sleeping");
        assertEquals(2, badStatus.exit(), badStatus::toString);
        assertTrue(badStatus.err().contains("sleeping"), badStatus::toString);

        CliRun badSize = wrenn("capsules", "create", "--vcpus", "0", "--no-wait");
        assertEquals(1, badSize.exit(), badSize::toString);
        assertOneErrorLine(badSize);
        assertTrue(badSize.err().contains("vcpus"), badSize::toString);
    }

    /** The error is one line, no stack trace; a long operation's progress start line may come before it. */
    private static void assertOneErrorLine(CliRun r) {
        List<String> lines = r.err().lines().filter(l -> !l.endsWith("...")).toList();
        assertEquals(1, lines.size(), "one line: " + r);
        assertTrue(lines.get(0).startsWith("wrenn: "), r::toString);
    }

    private static List<String> ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(n -> n.get("id").asText()).toList();
    }
}
