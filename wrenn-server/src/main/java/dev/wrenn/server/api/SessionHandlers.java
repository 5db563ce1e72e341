package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.server.Clock;
import dev.wrenn.server.Json;
import dev.wrenn.server.auth.Accounts;
import dev.wrenn.server.auth.Authenticator;
import dev.wrenn.server.auth.Caller;
import dev.wrenn.server.auth.KeyService;
import dev.wrenn.server.auth.Membership;
import dev.wrenn.server.auth.SessionRecord;
import dev.wrenn.server.auth.Sessions;
import dev.wrenn.server.auth.SignInLimiter;
import dev.wrenn.server.auth.User;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import io.javalin.http.Context;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Signing in to the dashboard (api.md §10): a session opened by email and password or by an API
 * key, carried by an HttpOnly, Secure, SameSite=Strict cookie. A request authenticated by the cookie
 * (and no key) must send the session's CSRF token in {@code X-CSRF-Token} unless it only reads.
 */
final class SessionHandlers {
    static final String COOKIE = "wrenn_session";
    static final String CSRF_HEADER = "X-CSRF-Token";
    private static final Set<String> READ_ONLY = Set.of("GET", "HEAD", "OPTIONS");

    private final Accounts accounts;
    private final Sessions sessions;
    private final Authenticator keys;
    private final KeyService teams;
    private final SignInLimiter limiter = new SignInLimiter();

    SessionHandlers(Accounts accounts, Sessions sessions, Authenticator keys, KeyService teams) {
        this.accounts = accounts;
        this.sessions = sessions;
        this.keys = keys;
        this.teams = teams;
    }

    /** POST /api/v1/sessions: {@code {"email", "password", "team"?}} or {@code {"api_key"}}. */
    void signIn(Context ctx) {
        Body body = Body.of(ctx);
        Optional<String> apiKey = body.string("api_key");
        String address = ctx.req().getRemoteAddr();
        long now = Clock.millis();
        Sessions.Opened opened;
        if (apiKey.isPresent()) {
            String account = "api key from " + address;   // keys are guessed from an address, not per account
            limiter.check(account, address, now);
            Caller caller;
            try {
                caller = keys.authenticate(apiKey.get());
            } catch (ApiException e) {
                limiter.failed(account, address, now);
                throw e;
            }
            opened = sessions.openForKey(caller);
        } else {
            String email = body.requiredString("email").strip().toLowerCase(Locale.ROOT);
            String password = body.requiredString("password");
            limiter.check(email, address, now);
            User user;
            try {
                user = accounts.signIn(email, password);
            } catch (ApiException e) {
                limiter.failed(email, address, now);
                throw e;
            }
            limiter.succeeded(user.email());
            opened = sessions.openForUser(user, membershipFor(user, body.string("team")));
        }
        answer(ctx, 201, opened);
    }

    /** GET /api/v1/session: who is signed in, for which team, and the CSRF token. */
    void current(Context ctx) {
        ctx.header("Cache-Control", "no-store");
        Render.json(ctx, 200, view(sessions.authenticate(ctx.cookie(COOKIE))));
    }

    /**
     * PUT /api/v1/session {@code {"team"}}: the signed-in user acts for another of their teams. A new
     * session (and cookie, and CSRF token) replaces this one, so nothing cached for the old team
     * outlives the switch. A key's session stays with its key's team.
     */
    void switchTeam(Context ctx) {
        String secret = ctx.cookie(COOKIE);
        SessionRecord s = sessions.authenticate(secret);
        requireCsrf(ctx, s);
        if (s.userId() == null) {
            throw ApiException.invalid("this session was opened with an API key, which belongs to one team; sign in as a user to switch");
        }
        User user = accounts.user(s.userId())
                .orElseThrow(() -> new ApiException(ErrorCode.UNAUTHORIZED, "the session's user no longer exists"));
        Sessions.Opened opened = sessions.openForUser(user, membershipFor(user, Optional.of(Body.of(ctx).requiredString("team"))));
        sessions.close(secret);
        answer(ctx, 200, opened);
    }

    /** A session just opened: its cookie set, and what it is (with its CSRF token) in the body. */
    private void answer(Context ctx, int status, Sessions.Opened opened) {
        ctx.header("Set-Cookie", cookie(opened.secret(), Sessions.LIFETIME.toSeconds()));
        ctx.header("Cache-Control", "no-store");
        Render.json(ctx, status, view(opened.record()));
    }

    /** DELETE /api/v1/session: signs out (with the CSRF token, so another site cannot). */
    void signOut(Context ctx) {
        String secret = ctx.cookie(COOKIE);
        SessionRecord s = sessions.authenticate(secret);
        requireCsrf(ctx, s);
        sessions.close(secret);
        ctx.header("Set-Cookie", cookie("", 0));
        ctx.status(204);
    }

    /**
     * GET /api/v1/setup: whether the installation has no user yet, so that the dashboard offers its
     * first-run page (sign in with the first API key, make the first user).
     */
    void setup(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("first_user_needed", accounts.hasNoUsers());
        Render.json(ctx, 200, o);
    }

    /** Whether the request is to be authenticated by the session cookie: it has one and no API key. */
    static boolean bySession(Context ctx) {
        return ctx.header("X-API-Key") == null && ctx.cookie(COOKIE) != null;
    }

    /** The caller of an API request authenticated by its session cookie; a change needs the CSRF token. */
    Caller caller(Context ctx) {
        SessionRecord s = sessions.authenticate(ctx.cookie(COOKIE));
        if (!READ_ONLY.contains(ctx.method().name())) requireCsrf(ctx, s);
        return new Caller(s.userId() != null ? s.userId() : s.keyId(), s.teamId());
    }

    /**
     * A WebSocket opened with the session cookie must come from a page of this server: its Origin
     * names the host it was sent to (a socket cannot carry the CSRF token in a header).
     */
    static void requireSameOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        String host = ctx.header("Host");
        String originHost = origin == null ? null : origin.replaceFirst("^https?://", "");
        if (origin == null || host == null || origin.equals(originHost) || !originHost.equalsIgnoreCase(host)) {
            throw new ApiException(ErrorCode.FORBIDDEN, "a stream opened with the session cookie must come from a page of"
                    + " this server (Origin " + Params.abbreviate(String.valueOf(origin)) + ")");
        }
    }

    private static void requireCsrf(Context ctx, SessionRecord s) {
        if (!Sessions.csrfMatches(s, ctx.header(CSRF_HEADER))) {
            throw new ApiException(ErrorCode.FORBIDDEN, "missing or wrong " + CSRF_HEADER + " header: send the csrf_token"
                    + " that POST /api/v1/sessions or GET /api/v1/session answered");
        }
    }

    /** The team a user's session acts for: the one named (by name or id), else their first. */
    private Membership membershipFor(User user, Optional<String> team) {
        List<Membership> ms = accounts.memberships(user.id());
        if (ms.isEmpty()) throw new ApiException(ErrorCode.FORBIDDEN, "user " + user.email() + " belongs to no team");
        if (team.isEmpty()) return ms.get(0);
        return ms.stream().filter(m -> m.team().name().equals(team.get()) || m.team().id().equals(team.get())).findFirst()
                .orElseThrow(() -> new ApiException(ErrorCode.FORBIDDEN, "user " + user.email() + " is not in team '"
                        + Params.abbreviate(team.get()) + "'"));
    }

    private ObjectNode view(SessionRecord s) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        ObjectNode team = o.putObject("team");
        team.put("id", s.teamId());
        team.put("name", teams.teamById(s.teamId()).map(t -> t.name()).orElse(null));
        if (s.userId() != null) {
            ObjectNode user = o.putObject("user");
            user.put("id", s.userId());
            user.put("email", accounts.user(s.userId()).map(User::email).orElse(null));
            List<Membership> memberships = accounts.memberships(s.userId());
            o.put("role", memberships.stream().filter(m -> m.team().id().equals(s.teamId()))
                    .map(m -> m.role().wire()).findFirst().orElse(null));
            o.putArray("teams").addAll(memberships.stream().map(m -> {
                ObjectNode t = Json.MAPPER.createObjectNode();
                t.put("id", m.team().id());
                t.put("name", m.team().name());
                t.put("role", m.role().wire());
                return t;
            }).toList());
        } else {
            o.putNull("user");
            o.putNull("role");
            o.put("key_id", s.keyId());
        }
        o.put("csrf_token", s.csrfToken());
        o.put("expires_at", Views.time(s.expiresAt()));
        return o;
    }

    /**
     * The session cookie: HttpOnly (no script reads it), Secure (browsers send it over HTTPS only,
     * and over plain HTTP to localhost), SameSite=Strict (never on a request another site starts).
     */
    private static String cookie(String value, long maxAgeSeconds) {
        return COOKIE + "=" + value + "; Path=/; Max-Age=" + maxAgeSeconds + "; HttpOnly; Secure; SameSite=Strict";
    }
}
