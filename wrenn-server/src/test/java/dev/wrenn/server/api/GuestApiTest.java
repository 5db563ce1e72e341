package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.server.Api;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.TestServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Exec (foreground and background), processes and files of a running capsule (api.md §6). */
class GuestApiTest {
    private static final List<String> EXEC_FIELDS = List.of("capsule_id", "cmd", "stdout", "stderr", "exit_code",
            "duration_ms", "encoding", "timed_out", "truncated");
    private static Api api;
    private static String id;

    @BeforeAll
    static void up() {
        TestServer.awaitTemplates();
        api = TestServer.newTeam();
        id = api.createRunning();
    }

    @AfterAll
    static void down() {
        api.destroyQuietly(id);
    }

    private static JsonNode exec(String json) {
        Response r = api.exec(id, json);
        assertEquals(200, r.status(), r::toString);
        return r.json();
    }

    @Test
    void aForegroundCommandAnswersItsOutputAndExitCode() {
        JsonNode r = exec("{\"cmd\":\"echo\",\"args\":[\"hello\",\"wörld\"]}");
        assertEquals(EXEC_FIELDS, KeysApiTest.fields(r));
        assertEquals(id, r.get("capsule_id").asText());
        assertEquals("echo", r.get("cmd").asText());
        assertEquals("hello wörld\n", r.get("stdout").asText());
        assertEquals("", r.get("stderr").asText());
        assertEquals(0, r.get("exit_code").asInt());
        assertEquals("utf-8", r.get("encoding").asText());
        assertFalse(r.get("timed_out").asBoolean());
        assertTrue(r.get("duration_ms").asLong() >= 0);
        assertFalse(api.capsule(id).get("last_active_at").isNull(), "exec is activity");
    }

    @Test
    void aNonZeroExitIsStill200() {
        JsonNode r = exec("{\"cmd\":\"sh\",\"args\":[\"-c\",\"echo oops >&2; exit 3\"]}");
        assertEquals(3, r.get("exit_code").asInt());
        assertEquals("oops\n", r.get("stderr").asText());
    }

    @Test
    void envsCwdAndStdinApplyAndTheDefaultCwdIsHome() {
        JsonNode r = exec("{\"cmd\":\"sh\",\"args\":[\"-c\",\"pwd; echo $GREETING; cat\"],\"envs\":{\"GREETING\":\"hi\"},"
                + "\"cwd\":\"/tmp\",\"stdin\":\"from stdin\"}");
        assertEquals("/tmp\nhi\nfrom stdin", r.get("stdout").asText());
        assertEquals("/root\n", exec("{\"cmd\":\"pwd\"}").get("stdout").asText());
    }

    @Test
    void aTimeoutKillsTheCommandAndAnswers124WithTheOutputSoFar() {
        long t0 = System.nanoTime();
        JsonNode r = exec("{\"cmd\":\"sh\",\"args\":[\"-c\",\"echo started; sleep 30\"],\"timeout_sec\":1}");
        assertTrue(r.get("timed_out").asBoolean(), r::toString);
        assertEquals(124, r.get("exit_code").asInt());
        assertEquals("started\n", r.get("stdout").asText());
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).toSeconds() < 10);
    }

    @Test
    void outputThatIsNotUtf8IsBase64ForBothStreams() {
        JsonNode r = exec("{\"cmd\":\"printf\",\"args\":[\"\\\\377\\\\376ok\"]}");
        assertEquals("base64", r.get("encoding").asText(), r::toString);
        assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0xfe, 'o', 'k'}, Base64.getDecoder().decode(r.get("stdout").asText()));
        assertEquals("", r.get("stderr").asText());
    }

    @Test
    void aProgramThatDoesNotExistIsNotFound() {
        Response r = api.exec(id, "{\"cmd\":\"no-such-program\"}");
        assertEquals(404, r.status(), r::toString);
        assertEquals("not_found", r.errorCode());
        assertTrue(r.message().contains("no-such-program"), r.message());
    }

    @Test
    void backgroundProcessesAreListedAndSignalledByTagOrPid() {
        Response started = api.exec(id, "{\"cmd\":\"sleep\",\"args\":[\"300\"],\"background\":true}");
        assertEquals(202, started.status(), started::toString);
        JsonNode p = started.json();
        assertEquals(List.of("capsule_id", "cmd", "pid", "tag"), KeysApiTest.fields(p));
        assertTrue(p.get("tag").asText().matches("proc-[0-9a-f]{8}"), p::toString);
        assertTrue(p.get("pid").asInt() > 1);
        Response tagged = api.exec(id, "{\"cmd\":\"sleep\",\"args\":[\"301\"],\"background\":true,\"tag\":\"sleeper\"}");
        assertEquals("sleeper", tagged.json().get("tag").asText());

        JsonNode list = api.get("/capsules/" + id + "/processes").json().get("processes");
        JsonNode mine = find(list, p.get("pid").asInt());
        assertEquals(List.of("pid", "tag", "cmd", "args"), KeysApiTest.fields(mine));
        assertEquals("sleep", mine.get("cmd").asText());
        assertEquals("300", mine.get("args").get(0).asText());

        assertEquals(204, api.delete("/capsules/" + id + "/processes/sleeper?signal=SIGTERM").status());
        assertEquals(204, api.delete("/capsules/" + id + "/processes/" + p.get("pid").asInt()).status());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode now = api.get("/capsules/" + id + "/processes").json().get("processes");
            if (find(now, p.get("pid").asInt()) == null && find(now, tagged.json().get("pid").asInt()) == null) break;
            Api.sleepFor(Duration.ofMillis(100));
        }
        Response gone = api.delete("/capsules/" + id + "/processes/no-such-tag");
        assertEquals(404, gone.status(), gone::toString);
        assertEquals("not_found", gone.errorCode());
    }

    @Test
    void filesAreWrittenReadListedAndRemovedWithExactBytes() {
        byte[] data = new byte[300_000];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31);
        assertEquals(204, write("notes/data.bin", data).status());
        Response read = api.post("/capsules/" + id + "/files/read", "{\"path\":\"/root/notes/data.bin\"}");
        assertEquals(200, read.status());
        assertEquals("application/octet-stream", read.headers().firstValue("Content-Type").orElse(""));
        assertArrayEquals(data, read.body());
        assertArrayEquals(new byte[0], writeAndRead("empty", new byte[0]));

        JsonNode entries = api.post("/capsules/" + id + "/files/list", "{\"path\":\"notes\"}").json().get("entries");
        JsonNode e = entries.get(0);
        assertEquals(List.of("name", "path", "type", "size", "mode", "permissions", "modified_at", "symlink_target"),
                KeysApiTest.fields(e));
        assertEquals("data.bin", e.get("name").asText());
        assertEquals("/root/notes/data.bin", e.get("path").asText());
        assertEquals("file", e.get("type").asText());
        assertEquals(data.length, e.get("size").asLong());
        assertEquals(0644, e.get("mode").asInt());
        assertEquals("-rw-r--r--", e.get("permissions").asText());
        assertTrue(e.get("symlink_target").isNull());

        Response mkdir = api.post("/capsules/" + id + "/files/mkdir", "{\"path\":\"/root/a/b/c\"}");
        assertEquals(200, mkdir.status(), mkdir::toString);
        assertEquals("directory", mkdir.json().get("entry").get("type").asText());
        assertTrue(mkdir.json().get("entry").get("permissions").asText().startsWith("d"));
        Response again = api.post("/capsules/" + id + "/files/mkdir", "{\"path\":\"/root/a/b/c\"}");
        assertEquals(409, again.status(), again::toString);
        assertEquals("conflict", again.errorCode());

        assertEquals(204, api.post("/capsules/" + id + "/files/remove", "{\"path\":\"/root/a\"}").status());
        for (String op : List.of("read", "list", "remove")) {
            Response missing = api.post("/capsules/" + id + "/files/" + op, "{\"path\":\"/root/a/b\"}");
            assertEquals(404, missing.status(), op + " " + missing);
            assertEquals("not_found", missing.errorCode());
        }
    }

    @Test
    void uploadsOverTheLimitAre413() {
        Response r = write("too-big", new byte[(100 << 20) + 1]);
        assertEquals(413, r.status(), r::toString);
        assertEquals("too_large", r.errorCode());
    }

    @Test
    void uploadsWithoutTheirPartsAre400() {
        Response r = multipart(null, "x", "data".getBytes());
        assertEquals(400, r.status(), r::toString);
        assertEquals("invalid_request", r.errorCode());
        r = multipart("/root/x", null, null);
        assertEquals(400, r.status(), r::toString);
    }

    private static byte[] writeAndRead(String path, byte[] data) {
        assertEquals(204, write(path, data).status());
        return api.post("/capsules/" + id + "/files/read", "{\"path\":\"" + path + "\"}").body();
    }

    private static Response write(String path, byte[] data) {
        return multipart(path, "upload.bin", data);
    }

    /** multipart/form-data with a text part "path" and a file part "file" (each left out when null). */
    static Response multipart(String path, String filename, byte[] data) {
        String boundary = "wrennboundary" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (path != null) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n" + path + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        if (filename != null) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(data);
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return api.send("POST", "/capsules/" + id + "/files/write", "multipart/form-data; boundary=" + boundary,
                body.toByteArray());
    }

    private static JsonNode find(JsonNode processes, int pid) {
        List<JsonNode> found = new ArrayList<>();
        processes.forEach(p -> {
            if (p.get("pid").asInt() == pid) found.add(p);
        });
        return found.isEmpty() ? null : found.get(0);
    }
}
