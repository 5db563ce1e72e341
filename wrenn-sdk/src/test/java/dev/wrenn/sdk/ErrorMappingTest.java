package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.sdk.ScriptedServer.Answer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every error status becomes its exception type, carrying the server's code, message and request id. */
class ErrorMappingTest {
    static final String CAPSULE = """
            {"id":"cl-0123456789abcdefghijklmno","status":"running","template":"minimal","vcpus":1,"memory_mb":512,
             "timeout_sec":0,"created_at":"2026-11-01T10:00:00Z","started_at":"2026-11-01T10:00:01Z",
             "last_active_at":null,"last_updated":"2026-11-01T10:00:01Z","status_reason":null,"metadata":{"team":"ml"}}""";

    private ScriptedServer server;
    private WrennClient client;

    @BeforeEach
    void up() throws Exception {
        server = new ScriptedServer();
        client = WrennClient.builder().apiKey("wrn_test").baseUrl(server.baseUrl()).maxRetries(0).build();
    }

    @AfterEach
    void down() {
        client.close();
        server.close();
    }

    static Stream<Arguments> statuses() {
        return Stream.of(
                Arguments.of(400, "invalid_request", WrennValidationException.class),
                Arguments.of(401, "unauthorized", WrennAuthenticationException.class),
                Arguments.of(403, "forbidden", WrennForbiddenException.class),
                Arguments.of(404, "not_found", WrennNotFoundException.class),
                Arguments.of(409, "invalid_state", WrennConflictException.class),
                Arguments.of(413, "too_large", WrennValidationException.class),
                Arguments.of(429, "rate_limited", WrennRateLimitException.class),
                Arguments.of(500, "internal_error", WrennServerException.class),
                Arguments.of(502, "agent_error", WrennAgentException.class),
                Arguments.of(503, "no_capacity", WrennNoCapacityException.class),
                Arguments.of(507, "insufficient_storage", WrennServerException.class),
                Arguments.of(418, "teapot", WrennException.class));
    }

    @ParameterizedTest
    @MethodSource("statuses")
    void eachErrorStatusBecomesItsExceptionWithTheServersCodeMessageAndRequestId(int status, String code,
                                                                                 Class<? extends WrennException> type) {
        server.then(Answer.error(status, code, "capsule cl-x says " + code));
        WrennException e = assertThrows(WrennException.class, () -> client.capsules().get("cl-x"));
        assertEquals(type, e.getClass());
        assertEquals(status, e.statusCode());
        assertEquals(code, e.code());
        assertEquals("capsule cl-x says " + code, e.getMessage());
        assertEquals("req-" + status, e.requestId());
    }

    @Test
    void rateLimitCarriesRetryAfterInSecondsOrAsAnHttpDate() {
        server.then(Answer.error(429, "rate_limited", "slow down").withHeader("Retry-After", "7"),
                Answer.error(429, "rate_limited", "slow down").withHeader("Retry-After",
                        java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
                                Instant.now().plusSeconds(120).atZone(java.time.ZoneOffset.UTC))),
                Answer.error(429, "rate_limited", "slow down"));
        assertEquals(Duration.ofSeconds(7), assertThrows(WrennRateLimitException.class, () -> client.capsules().list()).retryAfter());
        Duration date = assertThrows(WrennRateLimitException.class, () -> client.capsules().list()).retryAfter();
        assertTrue(date.toSeconds() > 100 && date.toSeconds() <= 120, date::toString);
        assertNull(assertThrows(WrennRateLimitException.class, () -> client.capsules().list()).retryAfter());
    }

    @Test
    void aProxysHtmlErrorPageStillGivesTheStatusAndWhatItSaid() {
        server.then(new Answer(502, "<html><body>Bad Gateway from nginx</body></html>", Map.of("Content-Type", "text/html"),
                Duration.ZERO));
        WrennAgentException e = assertThrows(WrennAgentException.class, () -> client.capsules().pause("cl-x"));
        assertEquals("http_502", e.code());
        assertTrue(e.getMessage().contains("HTTP 502 from POST /v1/capsules/cl-x/pause"), e.getMessage());
        assertTrue(e.getMessage().contains("Bad Gateway from nginx"), e.getMessage());
    }

    @Test
    void aSuccessThatIsNotTheExpectedJsonIsAServerErrorNotAnEmptyResult() {
        server.then(Answer.json(200, "not json"), Answer.json(200, "{\"capsules\":[]}"));
        WrennServerException e = assertThrows(WrennServerException.class, () -> client.capsules().get("cl-x"));
        assertEquals("unexpected_response", e.code());
        assertThrows(WrennServerException.class, () -> client.capsules().list());
    }

    @Test
    void capsuleFieldsAreReadWithNullsUnknownStatusesAndUnknownFieldsTolerated() {
        server.then(Answer.json(200, CAPSULE),
                Answer.json(200, CAPSULE.replace("\"running\"", "\"hibernating\"").replace("{\"id\"", "{\"future_field\":[1],\"id\"")));
        CapsuleInfo c = client.capsules().get("cl-0123456789abcdefghijklmno");
        assertEquals("cl-0123456789abcdefghijklmno", c.id());
        assertEquals(CapsuleStatus.RUNNING, c.status());
        assertEquals(512, c.memoryMb());
        assertEquals(Instant.parse("2026-11-01T10:00:01Z"), c.startedAt());
        assertNull(c.lastActiveAt());
        assertNull(c.statusReason());
        assertEquals(Map.of("team", "ml"), c.metadata());
        assertEquals(CapsuleStatus.UNKNOWN, client.capsules().get("cl-0123456789abcdefghijklmno").status());
    }

    @Test
    void requestsCarryTheKeyAndAnIdStaysOnePathSegment() {
        server.then(Answer.json(200, CAPSULE));
        client.capsules().get("../api-keys");
        ScriptedServer.Received r = server.received().get(0);
        assertEquals("/api/v1/capsules/..%2Fapi-keys", r.uri());
        assertEquals("wrn_test", r.header("X-API-Key"));
        assertTrue(r.header("User-Agent").startsWith("wrenn-java/"), r.header("User-Agent"));
    }

    @Test
    void createSendsOnlyTheFieldsThatWereSet() {
        server.then(Answer.json(201, CAPSULE), Answer.json(201, CAPSULE));
        client.capsules().create();
        client.capsules().create(CreateCapsuleParams.builder().vcpus(2).metadata("team", "ml").build());
        assertEquals("{}", server.received().get(0).body());
        assertEquals("{\"vcpus\":2,\"metadata\":{\"team\":\"ml\"}}", server.received().get(1).body());
    }

    @Test
    void aBlockingCallsExceptionKeepsTheCallersStack() {
        server.then(Answer.error(404, "not_found", "no capsule cl-x"));
        WrennNotFoundException e = assertThrows(WrennNotFoundException.class, () -> client.capsules().get("cl-x"));
        boolean callerSeen = java.util.Arrays.stream(e.getSuppressed()).flatMap(t -> java.util.Arrays.stream(t.getStackTrace()))
                .anyMatch(f -> f.getMethodName().contains("aBlockingCallsExceptionKeepsTheCallersStack"));
        assertTrue(callerSeen, "the calling method is in the exception's suppressed caller stack");
    }

    @Test
    void listFiltersGoToTheServerAsQueryParameters() {
        server.then(Answer.json(200, "[" + CAPSULE + "]"));
        List<CapsuleInfo> found = client.capsules().list(CapsuleFilter.statuses(CapsuleStatus.PAUSED, CapsuleStatus.RUNNING)
                .withMetadata("user name", "a&b"));
        assertEquals(1, found.size());
        assertEquals("/api/v1/capsules?status=running,paused&metadata.user%20name=a%26b", server.received().get(0).uri());
        assertEquals("running", CapsuleStatus.RUNNING.toString(), "statuses print as the API and the seeds write them");
    }
}
