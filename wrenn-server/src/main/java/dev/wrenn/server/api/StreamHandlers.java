package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.server.Json;
import dev.wrenn.server.auth.Authenticator;
import dev.wrenn.server.auth.Caller;
import dev.wrenn.server.auth.RateLimiter;
import dev.wrenn.server.capsule.GuestService;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.ops.Metrics;
import io.javalin.http.Context;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsMessageContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket endpoints of api.md §6a: the upgrade (a malformed id or a bad key answered plainly
 * before it), authentication by header or first frame, and one {@link StreamSession} per socket,
 * which the endpoint's factory makes once the caller is known.
 */
final class StreamHandlers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamHandlers.class);
    static final Duration AUTH_WAIT = Duration.ofSeconds(5);
    static final Duration PING_EVERY = Duration.ofSeconds(30);
    /** Larger client frames close the socket (1009) before they are buffered. */
    static final long MAX_CLIENT_FRAME = 1 << 20;
    private static final String CALLER = "wrenn.caller";
    private static final String EXEC = "exec";
    private static final String ATTACH = "attach";
    private static final String PTY = "pty";

    /** What an endpoint's session sees of its socket. */
    record Connection(String endpoint, StreamSocket socket, Caller caller, String capsuleId, WsContext ctx, GuestService guest) {}

    private final Authenticator auth;
    private final SessionHandlers sessions;
    private final RateLimiter rateLimiter;
    private final GuestService guest;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("stream-timers").daemon().factory());
    private final Map<String, Socket> open = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> pinger;

    StreamHandlers(Authenticator auth, SessionHandlers sessions, RateLimiter rateLimiter, GuestService guest, Metrics metrics) {
        this.auth = auth;
        this.sessions = sessions;
        this.rateLimiter = rateLimiter;
        this.guest = guest;
        for (String endpoint : List.of(EXEC, ATTACH, PTY)) {
            metrics.streams(endpoint, () -> open.values().stream().filter(s -> s.endpoint.equals(endpoint)).count());
        }
        this.pinger = timers.scheduleAtFixedRate(this::pingAll, PING_EVERY.toMillis(), PING_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    // ---- the endpoints ------------------------------------------------------------------------

    void exec(WsConfig ws) {
        endpoint(ws, EXEC, ExecStreamSession::new);
    }

    void attach(WsConfig ws) {
        endpoint(ws, ATTACH, AttachSession::new);
    }

    void pty(WsConfig ws) {
        endpoint(ws, PTY, TerminalSession::new);
    }

    /**
     * Before the upgrade: the id must parse (else 400); a key given as a header must be valid (else
     * 401); a browser's session cookie must be live and come from a page of this server (else 401 or
     * 403), as a socket carries no CSRF token.
     */
    void beforeUpgrade(Context ctx) {
        Params.capsuleId(ctx);
        if (ctx.pathParamMap().containsKey("target")) Params.processTarget(ctx.pathParam("target"));
        String key = ctx.header("X-API-Key");
        if (key != null) {
            ctx.attribute(CALLER, authenticate(key));
        } else if (SessionHandlers.bySession(ctx)) {
            SessionHandlers.requireSameOrigin(ctx);
            ctx.attribute(CALLER, limited(sessions.caller(ctx)));
        }
    }

    private Caller authenticate(String key) {
        return limited(auth.authenticate(key));
    }

    private Caller limited(Caller caller) {
        rateLimiter.acquire(caller.principal());
        return caller;
    }

    private void endpoint(WsConfig ws, String name, Function<Connection, StreamSession> factory) {
        ws.onConnect(ctx -> connected(ctx, name, factory));
        ws.onMessage(this::message);
        ws.onClose(this::closed);
        ws.onBinaryMessage(ctx -> {
            Socket s = socketOf(ctx);
            if (s != null) s.protocolError("frames are JSON text, not binary");
        });
        ws.onError(ctx -> {
            Socket s = open.remove(ctx.sessionId());
            if (s != null) s.end();
        });
    }

    private void connected(WsConnectContext ctx, String endpoint, Function<Connection, StreamSession> factory) {
        ctx.session.setMaxTextMessageSize(MAX_CLIENT_FRAME);
        ctx.session.setIdleTimeout(StreamSocket.WRITE_TIMEOUT.plus(PING_EVERY));
        Socket s = new Socket(ctx, endpoint, new StreamSocket(ctx.session), factory);
        open.put(ctx.sessionId(), s);
        Caller caller = ctx.attribute(CALLER);
        if (caller != null) {
            s.authenticated(caller);
        } else {
            s.authTimeout = timers.schedule(() -> s.refuse("no {\"type\":\"auth\"} frame within "
                    + AUTH_WAIT.toSeconds() + " s"), AUTH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void message(WsMessageContext ctx) {
        Socket s = socketOf(ctx);
        if (s != null) s.frame(ctx.message());
    }

    private void closed(WsCloseContext ctx) {
        Socket s = open.remove(ctx.sessionId());
        if (s != null) s.end();
    }

    private Socket socketOf(WsContext ctx) {
        return open.get(ctx.sessionId());
    }

    private void pingAll() {
        open.values().forEach(Socket::ping);
    }

    /** Ends every open stream (the server is stopping); terminals and detached processes run on. */
    @Override
    public void close() {
        pinger.cancel(false);
        open.values().forEach(s -> s.socket.close(StreamSocket.SERVER_ERROR, "server stopping",
                StreamErrors.of(ErrorCode.UNAVAILABLE, "the server is stopping").frame(true)));
        open.values().forEach(Socket::end);
        open.clear();
        timers.shutdownNow();
    }

    /** One socket: waiting for its caller, then served by its session. */
    private final class Socket {
        final WsContext ctx;
        final String endpoint;
        final StreamSocket socket;
        final Function<Connection, StreamSession> factory;
        volatile StreamSession session;
        volatile ScheduledFuture<?> authTimeout;
        volatile boolean ended;

        Socket(WsContext ctx, String endpoint, StreamSocket socket, Function<Connection, StreamSession> factory) {
            this.ctx = ctx;
            this.endpoint = endpoint;
            this.socket = socket;
            this.factory = factory;
        }

        void authenticated(Caller caller) {
            if (authTimeout != null) authTimeout.cancel(false);
            try {
                session = factory.apply(new Connection(endpoint, socket, caller, ctx.pathParam("id"), ctx, guest));
                session.opened();
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        void frame(String text) {
            if (ended) return;
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(text);
            } catch (Exception e) {
                protocolError("a frame is not JSON: " + Params.abbreviate(e.getMessage()));
                return;
            }
            if (node == null || !node.isObject() || !node.path("type").isTextual()) {
                protocolError("every frame is a JSON object with a \"type\"");
                return;
            }
            ObjectNode frame = (ObjectNode) node;
            if (session == null) {
                auth(frame);
                return;
            }
            try {
                session.frame(frame.get("type").asText(), frame);
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        private void auth(ObjectNode frame) {
            if (!frame.get("type").asText().equals("auth") || !frame.path("key").isTextual()) {
                refuse("the first frame must be {\"type\":\"auth\",\"key\":\"wrn_…\"} when no X-API-Key header was sent");
                return;
            }
            try {
                authenticated(authenticate(frame.get("key").asText()));
            } catch (ApiException e) {
                refuse(e.getMessage());
            }
        }

        /** A bad frame: before the session it ends the socket, later it is reported and ignored. */
        void protocolError(String message) {
            if (session == null) refuse(message);
            else session.protocolError(message);
        }

        void refuse(String message) {
            socket.close(StreamSocket.POLICY, "unauthorized", StreamErrors.of(ErrorCode.UNAUTHORIZED, message).frame(true));
            end();
        }

        /** A failure the session did not handle itself: reported to the client, the socket closed. */
        void fail(RuntimeException e) {
            StreamErrors error;
            if (e instanceof ApiException api) {
                error = StreamErrors.of(api);
            } else {
                log.atError().setCause(e).log("stream failed");
                error = StreamErrors.of(ErrorCode.INTERNAL_ERROR, "internal error: " + e);
            }
            socket.close(StreamSocket.SERVER_ERROR, "error", error.frame(true));
            end();
        }

        void ping() {
            StreamSession s = session;
            if (s != null && !ended) s.ping();
        }

        void end() {
            if (ended) return;
            ended = true;
            if (authTimeout != null) authTimeout.cancel(false);
            StreamSession s = session;
            if (s != null) s.closed();
        }
    }
}
