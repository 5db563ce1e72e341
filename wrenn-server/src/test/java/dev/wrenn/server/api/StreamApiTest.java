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

    private static List<Byte> toList(byte[] b) {
        java.util.ArrayList<Byte> out = new java.util.ArrayList<>();
        for (byte x : b) out.add(x);
        return out;
    }
}
