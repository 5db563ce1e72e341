package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.server.Api;
import dev.wrenn.server.TestServer;
import dev.wrenn.server.WsClient;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stream endpoints of api.md §6a against real capsules: exec streams, auth, malformed input. */
class StreamApiTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
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

    private static WsClient exec(String json) {
        WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/exec/stream", api.key());
        ws.sendText(json);
        return ws;
    }

    static String stdout(List<JsonNode> frames, String type) {
        return frames.stream().filter(f -> f.path("type").asText().equals(type)).map(f -> f.get("data").asText())
                .collect(Collectors.joining());
    }

    @Test
    void anExecStreamSendsStartThenOutputInOrderThenTheExitCodeAndCloses() {
        try (WsClient ws = exec("{\"type\":\"start\",\"cmd\":\"sh\",\"args\":[\"-c\",\"for i in 1 2 3; do echo out$i; echo err$i >&2; done; exit 7\"]}")) {
            List<JsonNode> frames = ws.untilType("exit", WAIT);
            assertEquals("start", frames.get(0).get("type").asText());
            assertTrue(frames.get(0).get("pid").asInt() > 1, frames.get(0).toString());
            assertEquals("out1\nout2\nout3\n", stdout(frames, "stdout"));
            assertEquals("err1\nerr2\nerr3\n", stdout(frames, "stderr"));
            assertEquals(7, frames.getLast().get("exit_code").asInt());
            assertEquals(1000, ws.closeCode(WAIT));
        }
    }

    @Test
    void stdinFramesReachTheProcessAndCloseStdinEndsIt() {
        try (WsClient ws = exec("{\"type\":\"start\",\"cmd\":\"cat\"}")) {
            ws.untilType("start", WAIT);
            ws.send(WsClient.frame("stdin").put("data", Base64.getEncoder().encodeToString("hello\n".getBytes())));
            assertEquals("hello\n", ws.untilType("stdout", WAIT).getLast().get("data").asText());
            ws.send(WsClient.frame("close_stdin"));
            assertEquals(0, ws.untilType("exit", WAIT).getLast().get("exit_code").asInt());
        }
    }

    @Test
    void binaryOutputIsBase64WhenAskedAndInvalidUtf8IsReplacedOtherwise() {
        String cmd = "{\"type\":\"start\",\"cmd\":\"printf\",\"args\":[\"\\\\377\\\\000ok\"]%s}";
        try (WsClient ws = exec(cmd.formatted(",\"binary\":true"))) {
            JsonNode out = ws.untilType("stdout", WAIT).getLast();
            assertEquals("base64", out.get("encoding").asText());
            assertEquals(List.of((byte) 0xff, (byte) 0, (byte) 'o', (byte) 'k'),
                    toList(Base64.getDecoder().decode(out.get("data").asText())));
        }
        try (WsClient ws = exec(cmd.formatted(""))) {
            assertEquals("\uFFFD\u0000ok", ws.untilType("stdout", WAIT).getLast().get("data").asText());
        }
    }

    @Test
    void stopKillsTheProcessGroup() {
        try (WsClient ws = exec("{\"type\":\"start\",\"cmd\":\"sleep\",\"args\":[\"300\"]}")) {
            ws.untilType("start", WAIT);
            ws.send(WsClient.frame("stop"));
            assertEquals(137, ws.untilType("exit", WAIT).getLast().get("exit_code").asInt());
        }
    }

    @Test
    void aBrowserAuthenticatesWithItsFirstFrame() {
        try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/exec/stream", null)) {
            ws.send(WsClient.frame("auth").put("key", api.key()));
            ws.sendText("{\"type\":\"start\",\"cmd\":\"echo\",\"args\":[\"hi\"]}");
            assertEquals("hi\n", stdout(ws.untilType("exit", WAIT), "stdout"));
        }
    }

    @Test
    void aWrongKeyInTheFirstFrameOrNoneIn5SecondsCloses1008() {
        try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/exec/stream", null)) {
            ws.send(WsClient.frame("auth").put("key", "wrn_00000000000000000000000000000000"));
            JsonNode err = ws.untilType("error", WAIT).getLast();
            assertTrue(err.get("fatal").asBoolean());
            assertEquals(1008, ws.closeCode(WAIT));
        }
        try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/exec/stream", null)) {
            assertEquals(1008, ws.closeCode(Duration.ofSeconds(10)));
        }
    }

    @Test
    void aBadKeyHeaderOrAMalformedIdIsAPlainHttpErrorBeforeTheUpgrade() {
        assertEquals(401, assertThrows(WsClient.Refused.class, () -> WsClient.open(TestServer.baseUrl(),
                "/capsules/" + id + "/exec/stream", "wrn_00000000000000000000000000000000")).status);
        assertEquals(400, assertThrows(WsClient.Refused.class, () -> WsClient.open(TestServer.baseUrl(),
                "/capsules/not-an-id/exec/stream", api.key())).status);
        assertEquals(400, assertThrows(WsClient.Refused.class, () -> WsClient.open(TestServer.baseUrl(),
                "/capsules/" + id + "/processes/..%2Fx/stream", api.key())).status);
    }

    @Test
    void aRefusedUpgradeAnswersWithTheUsualErrorEnvelopeAndRequestId() throws Exception {
        for (String[] c : List.of(new String[] {"/capsules/not-an-id/exec/stream", api.key(), "400", "invalid_request"},
                new String[] {"/capsules/" + id + "/pty", "wrn_00000000000000000000000000000000", "401", "unauthorized"})) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", java.net.URI.create(TestServer.baseUrl()).getPort())) {
                socket.getOutputStream().write(("GET /api/v1" + c[0] + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                        + "X-API-Key: " + c[1] + "\r\nConnection: close\r\n\r\n").getBytes());
                String answer = new String(socket.getInputStream().readAllBytes());
                assertTrue(answer.startsWith("HTTP/1.1 " + c[2]), answer);
                assertTrue(answer.toLowerCase().contains("x-request-id:"), answer);
                JsonNode body = dev.wrenn.server.Json.MAPPER.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
                assertEquals(c[3], body.path("error").path("code").asText(), answer);
            }
        }
    }

    @Test
    void aMissingCapsuleOrAnotherTeamsIsAFatalErrorFrameAfterTheUpgrade() {
        Api other = TestServer.newTeam();
        for (WsClient ws : List.of(
                WsClient.open(TestServer.baseUrl(), "/capsules/cl-0000000000000000000000000/exec/stream", api.key()),
                WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/exec/stream", other.key()))) {
            try (ws) {
                ws.sendText("{\"type\":\"start\",\"cmd\":\"true\"}");
                JsonNode err = ws.untilType("error", WAIT).getLast();
                assertTrue(err.get("fatal").asBoolean(), err.toString());
                assertTrue(err.get("data").asText().contains("does not exist"), err.toString());
                assertEquals("not_found", err.get("code").asText());
                assertTrue(ws.closeCode(WAIT) > 0);
            }
        }
    }

    @Test
    void malformedFramesAreErrorsNeverAHang() {
        try (WsClient ws = exec("not json")) {
            assertTrue(ws.untilType("error", WAIT).getLast().get("fatal").asBoolean());
        }
        try (WsClient ws = exec("{\"type\":\"stdin\",\"data\":\"aGk=\"}")) {
            assertTrue(ws.untilType("error", WAIT).getLast().get("fatal").asBoolean(), "anything but start first is fatal");
        }
        try (WsClient ws = exec("{\"type\":\"start\",\"cmd\":\"cat\",\"timeout_sec\":\"soon\"}")) {
            JsonNode err = ws.untilType("error", WAIT).getLast();
            assertTrue(err.get("data").asText().contains("timeout_sec"), err.toString());
        }
        try (WsClient ws = exec("{\"type\":\"start\",\"cmd\":\"cat\"}")) {
            ws.untilType("start", WAIT);
            ws.sendText("[1,2]").sendText("{\"type\":\"stdin\",\"data\":\"***\"}").sendText("{\"type\":\"warp\"}")
                    .sendBinary(new byte[] {1, 2, 3});
            for (int i = 0; i < 4; i++) assertFalse(ws.untilType("error", WAIT).getLast().path("fatal").asBoolean());
            ws.send(WsClient.frame("stdin").put("data", Base64.getEncoder().encodeToString("still alive".getBytes())));
            ws.send(WsClient.frame("close_stdin"));
            assertEquals("still alive", stdout(ws.untilType("exit", WAIT), "stdout"));
        }
        try (WsClient ws = exec("{\"type\":\"start\",\"cmd\":\"cat\"}")) {
            ws.untilType("start", WAIT);
            ws.sendText("{\"type\":\"stdin\",\"data\":\"" + "A".repeat((1 << 20) + 16) + "\"}");
            assertEquals(1009, ws.closeCode(WAIT), "a frame over 1 MiB closes the socket");
        }
    }

    // ---- flow control, many streams, disconnects ------------------------------------------------

    @Test
    void aClientThatNeverReadsStallsTheProcessInTheGuestAndItsProcessDiesWithTheSocket() throws Exception {
        WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/exec/stream", api.key(), false);
        try {
            ws.sendText("{\"type\":\"start\",\"cmd\":\"dd\",\"args\":[\"if=/dev/zero\",\"bs=65536\",\"count=4000\",\"status=none\"]}");
            int pid = awaitProcess("dd");
            Api.sleepFor(Duration.ofSeconds(4));
            long first = writtenBy(pid);
            Api.sleepFor(Duration.ofSeconds(2));
            long second = writtenBy(pid);
            assertEquals(first, second, "the process went on writing while nobody read its output");
            assertTrue(second < 64L << 20, "the process wrote " + (second >> 20) + " MiB before it was stopped");
            assertEquals(200, api.get("/capsules/" + id).status(), "the server answers meanwhile");
        } finally {
            ws.abort();
        }
        awaitGone("dd");
    }

    @Test
    void fiftyStreamsAtOnceOnOneCapsuleEachGetExactlyTheirOwnOutput() throws Exception {
        List<WsClient> streams = new java.util.ArrayList<>();
        try {
            for (int n = 0; n < 50; n++) {
                streams.add(exec("{\"type\":\"start\",\"cmd\":\"sh\",\"args\":[\"-c\",\"for i in 1 2 3 4 5 6 7 8; do echo s" + n
                        + "-$i; done\"]}"));
            }
            for (int n = 0; n < 50; n++) {
                List<JsonNode> frames = streams.get(n).untilType("exit", Duration.ofMinutes(2));
                StringBuilder want = new StringBuilder();
                for (int i = 1; i <= 8; i++) want.append("s").append(n).append('-').append(i).append('\n');
                assertEquals(want.toString(), stdout(frames, "stdout"), "stream " + n);
                assertEquals(0, frames.getLast().get("exit_code").asInt());
            }
        } finally {
            streams.forEach(WsClient::close);
        }
    }

    @Test
    void aDroppedExecStreamKillsItsProcessAndLeavesNoOpenStreamBehind() {
        WsClient ws = exec("{\"type\":\"start\",\"cmd\":\"sleep\",\"args\":[\"301\"]}");
        int pid = ws.untilType("start", WAIT).getLast().get("pid").asInt();
        assertTrue(processes().stream().anyMatch(p -> p.get("pid").asInt() == pid));
        ws.abort();
        awaitGone("301");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (openStreams("exec") > 0 && System.nanoTime() < deadline) Api.sleepFor(Duration.ofMillis(100));
        assertEquals(0, openStreams("exec"), "the server still counts the dropped socket");
    }

    @Test
    void aDetachedExecStreamLeavesItsProcessRunningUnderItsTag() {
        WsClient ws = exec("{\"type\":\"start\",\"cmd\":\"sleep\",\"args\":[\"302\"],\"detach\":true,\"tag\":\"kept\"}");
        assertEquals("kept", ws.untilType("start", WAIT).getLast().get("tag").asText());
        ws.abort();
        Api.sleepFor(Duration.ofSeconds(1));
        assertTrue(processes().stream().anyMatch(p -> p.get("tag").asText().equals("kept")), "a detached process died with its socket");
        assertEquals(204, api.delete("/capsules/" + id + "/processes/kept").status());
    }

    // ---- attach --------------------------------------------------------------------------------

    @Test
    void anAttachReplaysEarlierOutputThenFollowsTheProcessToItsEnd() {
        Api.Response bg = api.exec(id, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"echo early; sleep 2; echo late; exit 6\"],"
                + "\"background\":true,\"tag\":\"follow-me\"}");
        assertEquals(202, bg.status(), bg::toString);
        Api.sleepFor(Duration.ofMillis(700));
        try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/processes/follow-me/stream", api.key())) {
            List<JsonNode> frames = ws.untilType("exit", WAIT);
            assertEquals("start", frames.getFirst().get("type").asText());
            assertEquals("follow-me", frames.getFirst().get("tag").asText());
            assertEquals("early\n", stdout(frames, "replay"));
            assertEquals("late\n", stdout(frames, "stdout"));
            assertEquals(6, frames.getLast().get("exit_code").asInt());
        }
    }

    @Test
    void anotherTeamCannotAttachToAProcessAndAnUnknownOneIsAFatalError() {
        Api other = TestServer.newTeam();
        assertEquals(202, api.exec(id, "{\"cmd\":\"sleep\",\"args\":[\"303\"],\"background\":true,\"tag\":\"mine\"}").status());
        try {
            try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/processes/mine/stream", other.key())) {
                JsonNode err = ws.untilType("error", WAIT).getLast();
                assertEquals("not_found", err.get("code").asText(), err.toString());
                assertTrue(err.get("fatal").asBoolean());
            }
            try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/processes/nobody/stream", api.key())) {
                JsonNode err = ws.untilType("error", WAIT).getLast();
                assertEquals("not_found", err.get("code").asText(), err.toString());
            }
        } finally {
            api.delete("/capsules/" + id + "/processes/mine");
        }
    }

    // ---- terminals -----------------------------------------------------------------------------

    @Test
    void aTerminalEchoesResizesAndSurvivesItsSocketWithItsScreenReplayedOnConnect() {
        String tag;
        try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/pty", api.key())) {
            ws.sendText("{\"type\":\"start\",\"cmd\":\"/bin/bash\",\"cols\":100,\"rows\":30}");
            JsonNode started = ws.untilType("started", WAIT).getLast();
            tag = started.get("tag").asText();
            assertTrue(tag.startsWith("pty-"), tag);
            assertTrue(started.get("pid").asInt() > 1);
            input(ws, "echo hello-$((40+2)); stty size\n");
            awaitOutput(ws, "30 100");
            ws.send(WsClient.frame("resize").put("cols", 160).put("rows", 50));
            input(ws, "stty size\n");
            awaitOutput(ws, "50 160");
            ws.abort();
        }
        assertTrue(processes().stream().anyMatch(p -> p.get("tag").asText().equals(tag)), "the terminal died with its socket");
        try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/pty", api.key())) {
            ws.send(WsClient.frame("connect").put("tag", tag));
            assertEquals(tag, ws.untilType("started", WAIT).getLast().get("tag").asText());
            assertTrue(awaitOutput(ws, "hello-42").contains("hello-42"), "the screen was not replayed");
            input(ws, "exit 3\n");
            assertEquals(3, ws.untilType("exit", WAIT).getLast().get("exit_code").asInt());
        }
    }

    @Test
    void aTerminalIsKilledByItsKillFrameOrByDeletingItsProcess() {
        try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/pty", api.key())) {
            ws.sendText("{\"type\":\"start\"}");
            ws.untilType("started", WAIT);
            ws.send(WsClient.frame("kill"));
            assertEquals(137, ws.untilType("exit", WAIT).getLast().get("exit_code").asInt());
        }
        try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/pty", api.key())) {
            ws.sendText("{\"type\":\"start\",\"cmd\":\"/bin/sh\"}");
            String tag = ws.untilType("started", WAIT).getLast().get("tag").asText();
            assertEquals(204, api.delete("/capsules/" + id + "/processes/" + tag).status());
            assertEquals(137, ws.untilType("exit", WAIT).getLast().get("exit_code").asInt());
        }
    }

    @Test
    void connectingToATagThatIsNotATerminalIsRefused() {
        try (WsClient ws = WsClient.open(TestServer.baseUrl(), "/capsules/" + id + "/pty", api.key())) {
            ws.send(WsClient.frame("connect").put("tag", "pty-00000000"));
            assertEquals("not_found", ws.untilType("error", WAIT).getLast().get("code").asText());
        }
    }

    // ---- pause ---------------------------------------------------------------------------------

    @Test
    void aPauseEndsEveryOpenStreamAndTheProcessesCanBeFollowedAgainAfterResume() {
        String paused = api.createRunning();
        try {
            WsClient execWs = WsClient.open(TestServer.baseUrl(), "/capsules/" + paused + "/exec/stream", api.key());
            execWs.sendText("{\"type\":\"start\",\"cmd\":\"sh\",\"args\":[\"-c\",\"i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.3; done\"]}");
            int pid = execWs.untilType("start", WAIT).getLast().get("pid").asInt();
            execWs.untilType("stdout", WAIT);
            WsClient pty = WsClient.open(TestServer.baseUrl(), "/capsules/" + paused + "/pty", api.key());
            pty.sendText("{\"type\":\"start\"}");
            String tag = pty.untilType("started", WAIT).getLast().get("tag").asText();

            assertEquals(200, api.post("/capsules/" + paused + "/pause").status());
            for (WsClient ws : List.of(execWs, pty)) {
                JsonNode err = ws.untilType("error", WAIT).getLast();
                assertEquals("capsule_paused", err.get("code").asText(), err.toString());
                assertTrue(err.get("fatal").asBoolean());
                assertTrue(ws.closeCode(WAIT) > 0);
            }
            assertEquals(200, api.post("/capsules/" + paused + "/resume").status());
            try (WsClient again = WsClient.open(TestServer.baseUrl(), "/capsules/" + paused + "/processes/" + pid + "/stream", api.key())) {
                again.until(f -> f.path("type").asText().equals("stdout") && f.get("data").asText().contains("tick-"), WAIT);
            }
            try (WsClient again = WsClient.open(TestServer.baseUrl(), "/capsules/" + paused + "/pty", api.key())) {
                again.send(WsClient.frame("connect").put("tag", tag));
                again.untilType("started", WAIT);
            }
        } finally {
            api.destroyQuietly(paused);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void input(WsClient ws, String text) {
        ws.send(WsClient.frame("input").put("data", Base64.getEncoder().encodeToString(text.getBytes())));
    }

    /** Terminal output (decoded) until it contains {@code text}. */
    private static String awaitOutput(WsClient ws, String text) {
        StringBuilder seen = new StringBuilder();
        ws.until(f -> {
            if (f.path("type").asText().equals("output")) seen.append(new String(Base64.getDecoder().decode(f.get("data").asText())));
            return seen.toString().contains(text);
        }, WAIT);
        return seen.toString();
    }

    private static List<JsonNode> processes() {
        List<JsonNode> out = new java.util.ArrayList<>();
        api.get("/capsules/" + id + "/processes").json().get("processes").forEach(out::add);
        return out;
    }

    /** The pid of the process whose command line contains {@code word}, waiting for it to appear. */
    private static int awaitProcess(String word) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode p : processes()) {
                if ((p.get("cmd").asText() + " " + p.get("args")).contains(word)) return p.get("pid").asInt();
            }
            Api.sleepFor(Duration.ofMillis(100));
        }
        throw new AssertionError("no process with '" + word + "' started");
    }

    private static void awaitGone(String word) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (processes().stream().anyMatch(p -> (p.get("cmd").asText() + " " + p.get("args")).contains(word))) {
            if (System.nanoTime() > deadline) throw new AssertionError("the process with '" + word + "' outlived its stream");
            Api.sleepFor(Duration.ofMillis(100));
        }
    }

    /** Bytes a guest process has written (its /proc/PID/io wchar). */
    private static long writtenBy(int pid) {
        JsonNode r = api.exec(id, "{\"cmd\":\"awk\",\"args\":[\"/^wchar/{print $2}\",\"/proc/" + pid + "/io\"]}").json();
        return Long.parseLong(r.get("stdout").asText().strip());
    }

    private static long openStreams(String endpoint) {
        String metrics = api.get("/metrics").text();
        return metrics.lines().filter(l -> l.startsWith("wrenn_streams_open{endpoint=\"" + endpoint + "\""))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static List<Byte> toList(byte[] b) {
        java.util.ArrayList<Byte> out = new java.util.ArrayList<>();
        for (byte x : b) out.add(x);
        return out;
    }
}
