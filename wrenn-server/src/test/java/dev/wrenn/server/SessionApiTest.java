package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.auth.Membership.Role;
import dev.wrenn.server.error.ApiException;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Signing in to the dashboard (api.md §10) against a real server over an in-memory host: a
 * session's cookie and CSRF token, what it may see, how sign-in refuses, and how sessions end.
 */
class SessionApiTest {
    private static final String PASSWORD = "correct horse battery";

    private Path dataDir;
    private WrennServer server;
    private Api api;

    @BeforeEach
    void start() throws IOException {
        dataDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-sessions-");
        server = WrennServer.start(ServerConfig.builder(dataDir).bindHost("127.0.0.1").port(0).prepareTemplates(false)
                .hostMemoryMb(8192).hostVcpus(2).build(), new InMemoryHost());
        api = new Api("http://127.0.0.1:" + server.port(), server.firstKey().orElseThrow());
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
        FileOps.deleteTree(dataDir);
    }

    /** A browser: the cookie the server set and the CSRF token it answered. */
    private record Browser(Api api, String cookie, String csrf) {
        Response send(String method, String path, String json, boolean withCsrf) {
            HttpRequest.Builder b = api.request(path).header("Cookie", cookie);
            if (withCsrf) b.header("X-CSRF-Token", csrf);
            if (json != null) b.header("Content-Type", "application/json");
            return api.send(b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json)));
        }

        Response get(String path) {
            return send("GET", path, null, false);
        }
    }

    private Response signIn(String json) {
        return api.withKey(null).post("/sessions", json);
    }

    private Browser browser(Response signedIn) {
        return browser(signedIn, 201);
    }

    /** The browser an answer with a new session cookie leaves, after checking the answer's status. */
    private Browser browser(Response signedIn, int status) {
        assertEquals(status, signedIn.status(), signedIn::toString);
        String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
        return new Browser(api.withKey(null), setCookie.substring(0, setCookie.indexOf(';')),
                signedIn.json().get("csrf_token").asText());
    }

    @Test
    void aUserSignsInAndUsesTheApiWithTheCookieAndTheCsrfToken() {
        server.accounts().create("Ada@Example.com", PASSWORD, "default", Role.OWNER);
        Response r = signIn("{\"email\":\"ada@example.com\",\"password\":\"" + PASSWORD + "\"}");
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        for (String flag : List.of("HttpOnly", "Secure", "SameSite=Strict", "Path=/")) {
            assertTrue(setCookie.contains(flag), "the session cookie has " + flag + ": " + setCookie);
        }
        Browser b = browser(r);
        JsonNode me = b.get("/session").json();
        assertEquals("ada@example.com", me.get("user").get("email").asText());
        assertEquals("default", me.get("team").get("name").asText());
        assertEquals("owner", me.get("role").asText());

        assertEquals(200, b.get("/capsules").status(), "reading needs the cookie only");
        Response noToken = b.send("POST", "/capsules", "{}", false);
        assertEquals(403, noToken.status(), noToken::toString);
        assertTrue(noToken.message().contains("X-CSRF-Token"), noToken.message());
        assertEquals(201, b.send("POST", "/capsules?wait=true", "{}", true).status(), "with the token it changes things");

        assertEquals(403, b.send("DELETE", "/session", null, false).status(), "another site cannot sign the user out");
        assertEquals(204, b.send("DELETE", "/session", null, true).status());
        assertEquals(401, b.get("/capsules").status(), "signed out: the cookie opens nothing");
    }

    @Test
    void aSessionSeesOnlyItsTeam() {
        String ours = api.createRunning();
        server.accounts().create("bob@example.com", PASSWORD, "blue", Role.MEMBER);
        Browser b = browser(signIn("{\"email\":\"bob@example.com\",\"password\":\"" + PASSWORD + "\"}"));
        assertEquals("blue", b.get("/session").json().get("team").get("name").asText());
        assertEquals(0, b.get("/capsules").json().size(), "the default team's capsule is not blue's");
        assertEquals(404, b.get("/capsules/" + ours).status());
        assertEquals(404, b.send("DELETE", "/capsules/" + ours, null, true).status());
        assertEquals("running", api.capsule(ours).get("status").asText());
    }

    @Test
    void aUserOfTwoTeamsSwitchesTheSessionToTheOther() {
        String red = api.createRunning();
        var accounts = server.accounts();
        accounts.create("cy@example.com", PASSWORD, "blue", Role.MEMBER);
        accounts.addMember(server.keys().findTeam("default").orElseThrow().id(), "cy@example.com", null, Role.OWNER);
        Browser blue = browser(signIn("{\"email\":\"cy@example.com\",\"password\":\"" + PASSWORD + "\",\"team\":\"blue\"}"));
        assertEquals(2, blue.get("/session").json().get("teams").size());

        assertEquals(403, blue.send("PUT", "/session", "{\"team\":\"default\"}", false).status(), "another site cannot switch it");
        Response elsewhere = blue.send("PUT", "/session", "{\"team\":\"green\"}", true);
        assertEquals(403, elsewhere.status(), elsewhere::toString);
        assertTrue(elsewhere.message().contains("green"), elsewhere.message());

        Response switched = blue.send("PUT", "/session", "{\"team\":\"default\"}", true);
        Browser def = browser(switched, 200);
        assertEquals("default", switched.json().get("team").get("name").asText());
        assertEquals("owner", switched.json().get("role").asText());
        assertEquals(red, def.get("/capsules").json().get(0).get("id").asText(), "the session now sees the default team's capsules");
        assertEquals(401, blue.get("/capsules").status(), "the session of before is closed");

        Browser withKey = browser(signIn("{\"api_key\":\"" + api.key() + "\"}"));
        assertEquals(400, withKey.send("PUT", "/session", "{\"team\":\"blue\"}", true).status(), "a key's session keeps its key's team");
    }

    @Test
    void aStreamOpensWithTheSessionCookieOnlyFromThisServersPages() {
        server.accounts().create("fay@example.com", PASSWORD, "default", Role.MEMBER);
        Browser b = browser(signIn("{\"email\":\"fay@example.com\",\"password\":\"" + PASSWORD + "\"}"));
        String id = b.send("POST", "/capsules?wait=true", "{}", true).json().get("id").asText();
        String base = "http://127.0.0.1:" + server.port();
        String path = "/capsules/" + id + "/exec/stream";
        try (WsClient ws = WsClient.openWithHeaders(base, path, Map.of("Cookie", b.cookie(), "Origin", base))) {
            ws.sendText("{\"type\":\"start\",\"cmd\":\"true\"}");
            JsonNode first = ws.next(Duration.ofSeconds(10));
            assertNotEquals("unauthorized", first.path("code").asText(), "the cookie authenticated the socket: " + first);
        }
        WsClient.Refused foreign = assertThrows(WsClient.Refused.class,
                () -> WsClient.openWithHeaders(base, path, Map.of("Cookie", b.cookie(), "Origin", "https://evil.example")));
        assertEquals(403, foreign.status, "another site's page cannot use the cookie");
        assertEquals(403, assertThrows(WsClient.Refused.class, () -> WsClient.openWithHeaders(base, path, Map.of("Cookie", b.cookie()))).status);
    }

    @Test
    void theDashboardIsServedAtTheRootWithAPolicyThatAllowsOnlyItsOwnScripts() {
        Api anonymous = api.withKey(null);
        Response page = anonymous.get("/");
        assertEquals(200, page.status());
        assertTrue(page.text().contains("/assets/app.js"), "the page loads the app");
        String policy = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), policy);
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElseThrow());
        Response app = anonymous.get("/assets/app.js");
        assertEquals(200, app.status());
        assertTrue(app.headers().firstValue("Content-Type").orElseThrow().startsWith("text/javascript"));
        assertEquals(404, anonymous.get("/assets/index.html").status(), "only the listed assets exist");
    }

    @Test
    void aWrongPasswordAndAnUnknownEmailGetTheSameAnswerAndTheSixthTryWaits() {
        server.accounts().create("cy@example.com", PASSWORD, "default", Role.MEMBER);
        Response unknown = signIn("{\"email\":\"nobody@example.com\",\"password\":\"" + PASSWORD + "\"}");
        assertEquals(401, unknown.status());
        for (int i = 0; i < 5; i++) {
            Response wrong = signIn("{\"email\":\"cy@example.com\",\"password\":\"wrong password " + i + "\"}");
            assertEquals(401, wrong.status(), wrong::toString);
            assertEquals(unknown.message(), wrong.message(), "nothing tells whether the account exists");
        }
        Response limited = signIn("{\"email\":\"CY@example.com\",\"password\":\"" + PASSWORD + "\"}");
        assertEquals(429, limited.status(), "five failures: even the right password waits");
        assertTrue(limited.headers().firstValue("Retry-After").isPresent());
        assertEquals(401, signIn("{\"email\":\"nobody@example.com\",\"password\":\"x\"}").status(),
                "another account is not held back by cy's failures");
    }

    @Test
    void aSessionOpenedWithAnApiKeyEndsWhenTheKeyIsRevoked() {
        JsonNode key = api.post("/api-keys", "{\"name\":\"laptop\"}").json();
        Browser b = browser(signIn("{\"api_key\":\"" + key.get("key").asText() + "\"}"));
        JsonNode me = b.get("/session").json();
        assertTrue(me.get("user").isNull());
        assertEquals(key.get("id").asText(), me.get("key_id").asText());
        assertEquals(200, b.get("/capsules").status());
        assertEquals(204, api.delete("/api-keys/" + key.get("id").asText()).status());
        assertEquals(401, b.get("/capsules").status(), "the key is revoked: its session is over");
        assertEquals(401, signIn("{\"api_key\":\"" + key.get("key").asText() + "\"}").status());
    }

    @Test
    void aFreshInstallationsFirstUserIsMadeBySigningInWithTheFirstKey() {
        assertTrue(api.withKey(null).get("/setup").json().get("first_user_needed").asBoolean());
        Browser withKey = browser(signIn("{\"api_key\":\"" + api.key() + "\"}"));
        Response made = withKey.send("POST", "/members",
                "{\"email\":\"ada@example.com\",\"password\":\"" + PASSWORD + "\",\"role\":\"owner\"}", true);
        assertEquals(201, made.status(), made::toString);
        assertEquals("owner", made.json().get("role").asText());
        assertFalse(api.withKey(null).get("/setup").json().get("first_user_needed").asBoolean());

        Browser ada = browser(signIn("{\"email\":\"ada@example.com\",\"password\":\"" + PASSWORD + "\"}"));
        assertEquals("default", ada.get("/session").json().get("team").get("name").asText());
        assertEquals("owner", ada.get("/session").json().get("role").asText());
    }

    @Test
    void anOwnerChangesTheTeamsMembersAndAMemberOnlySeesThem() {
        server.accounts().create("ada@example.com", PASSWORD, "default", Role.OWNER);
        Browser ada = browser(signIn("{\"email\":\"ada@example.com\",\"password\":\"" + PASSWORD + "\"}"));
        Response bob = ada.send("POST", "/members", "{\"email\":\"bob@example.com\",\"password\":\"" + PASSWORD + "\"}", true);
        assertEquals(201, bob.status(), bob::toString);
        assertEquals("member", bob.json().get("role").asText(), "member by default");
        String bobId = bob.json().get("user_id").asText();

        Browser asBob = browser(signIn("{\"email\":\"bob@example.com\",\"password\":\"" + PASSWORD + "\"}"));
        assertEquals(2, asBob.get("/members").json().size());
        Response refused = asBob.send("POST", "/members", "{\"email\":\"cy@example.com\",\"password\":\"" + PASSWORD + "\"}", true);
        assertEquals(403, refused.status(), refused::toString);

        Response taken = ada.send("POST", "/members", "{\"email\":\"BOB@example.com\",\"password\":\"" + PASSWORD + "\"}", true);
        assertEquals(409, taken.status(), "an existing user is added without a password, never given a new one");
        String adaId = ada.get("/session").json().get("user").get("id").asText();
        assertEquals(409, ada.send("DELETE", "/members/" + adaId, null, true).status(), "the last owner stays");
        assertEquals(204, ada.send("DELETE", "/members/" + bobId, null, true).status());
        assertEquals(1, ada.get("/members").json().size());
        assertEquals(400, ada.send("POST", "/members", "{\"email\":\"dee@example.com\",\"role\":\"admin\"}", true).status());
    }

    @Test
    void usersAreRefusedClearlyForABadEmailAShortPasswordOrATakenEmail() {
        server.accounts().create("dee@example.com", PASSWORD, "default", Role.MEMBER);
        assertEquals("email 'not-an-email' is not an email address",
                refusal(() -> server.accounts().create("not-an-email", PASSWORD, "default", Role.MEMBER)));
        assertEquals("a password needs at least 10 characters",
                refusal(() -> server.accounts().create("eve@example.com", "short", "default", Role.MEMBER)));
        assertEquals("a user with email dee@example.com exists already",
                refusal(() -> server.accounts().create("DEE@example.com", PASSWORD, "default", Role.MEMBER)));
    }

    private static String refusal(Executable e) {
        return assertThrows(ApiException.class, e).getMessage();
    }
}
