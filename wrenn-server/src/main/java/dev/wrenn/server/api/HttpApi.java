package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.server.Json;
import dev.wrenn.server.OperationTracker;
import dev.wrenn.server.ServerConfig;
import dev.wrenn.server.auth.Authenticator;
import dev.wrenn.server.auth.Access;
import dev.wrenn.server.auth.Caller;
import dev.wrenn.server.auth.RateLimiter;
import dev.wrenn.server.capsule.Capacity;
import dev.wrenn.server.capsule.CapsuleService;
import dev.wrenn.server.capsule.GuestService;
import dev.wrenn.server.capsule.SnapshotService;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.hosts.HostRegistry;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.ops.Metrics;
import dev.wrenn.server.proxy.PortProxy;
import dev.wrenn.server.proxy.PortProxyHandler;
import dev.wrenn.server.store.DatabaseUnavailableException;
import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: every route in {@link #routes}, each API route under {@code /api/v1} and its
 * alias {@code /v1}; authentication, request ids, metrics and the error envelope around them.
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    private static final long MAX_JSON_BODY = 32L << 20;
    private static final String REQUEST_ID = "wrenn.requestId";
    private static final String STARTED = "wrenn.started";
    private static final String TRACKED = "wrenn.tracked";
    /** What a client is told to wait when the database is unreachable. */
    private static final java.time.Duration DB_RETRY_AFTER = java.time.Duration.ofSeconds(5);

    /** A route as registered with the server (method and full path), for the OpenAPI check. */
    public record Route(String method, String path) {}

    private final Authenticator auth;
    private final RateLimiter rateLimiter;
    private final Metrics metrics;
    private final OperationTracker tracker;
    private final CapsuleHandlers capsules;
    private final GuestHandlers guest;
    private final SnapshotHandlers snapshots;
    private final KeyHandlers keys;
    private final SessionHandlers sessions;
    private final MemberHandlers members;
    private final HostHandlers hostList;
    private final DashboardHandlers dashboard = new DashboardHandlers();
    private final OpsHandlers ops;
    private final StreamHandlers streams;
    private final AgentHandlers agents;
    private final PortProxy portProxy;
    private final List<Route> registered = new CopyOnWriteArrayList<>();
    private final Javalin app;

    public HttpApi(ServerConfig config, Access access, CapsuleService capsuleService,
                   GuestService guestService, SnapshotService snapshotService, Metrics metrics, OperationTracker tracker,
                   Hosts hosts, Capacity capacity, PortProxy portProxy, HostRegistry registry) throws IOException {
        this.auth = access.keys();
        this.rateLimiter = new RateLimiter(config.keyRequestRate());
        this.metrics = metrics;
        this.tracker = tracker;
        this.capsules = new CapsuleHandlers(capsuleService, config);
        this.guest = new GuestHandlers(guestService);
        this.snapshots = new SnapshotHandlers(snapshotService);
        this.keys = new KeyHandlers(access.teams());
        this.sessions = new SessionHandlers(access.accounts(), access.sessions(), access.keys(), access.teams());
        this.members = new MemberHandlers(access.accounts());
        this.hostList = new HostHandlers(hosts, registry, capacity);
        this.ops = new OpsHandlers(metrics, hosts, capacity);
        this.streams = new StreamHandlers(access.keys(), sessions, rateLimiter, guestService, metrics);
        this.agents = new AgentHandlers(registry, config.heartbeatInterval());
        this.portProxy = portProxy;
        Path uploads = Files.createDirectories(config.dataDir().resolve("tmp").resolve("uploads"));
        this.app = Javalin.create(cfg -> {
            cfg.concurrency.useVirtualThreads = true;
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.http.maxRequestSize = MAX_JSON_BODY;
            cfg.jetty.host = config.bindHost();
            cfg.jetty.port = config.port();
            cfg.jetty.multipartConfig.cacheDirectory(uploads.toString());
            cfg.jetty.multipartConfig.maxFileSize(GuestHandlers.MAX_UPLOAD_BYTES, SizeUnit.BYTES);
            cfg.jetty.multipartConfig.maxTotalRequestSize(GuestHandlers.MAX_UPLOAD_BYTES + (1 << 20), SizeUnit.BYTES);
            cfg.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB);
            // An operation ends (and the shutdown drain with it) before Javalin has written its answer;
            // a graceful stop lets Jetty finish writing the answers in progress instead of cutting them off.
            // Requests to capsules' ports (api.md §9) are taken aside before Javalin's routing.
            cfg.jetty.modifyServer(server -> {
                GracefulHandler graceful = new GracefulHandler();
                graceful.setHandler(new PortProxyHandler(config.proxyDomain(), portProxy));
                server.setHandler(graceful);
                server.setStopTimeout(config.shutdownGrace().toMillis());
            });
            cfg.events.handlerAdded(h -> {
                if (h.getHttpMethod().isHttpMethod()) registered.add(new Route(h.getHttpMethod().name(), h.getPath()));
            });
            cfg.routes.before(this::beforeRequest);
            cfg.routes.after(this::afterRequest);
            cfg.routes.exception(ApiException.class, (e, ctx) -> renderError(ctx, e.code(), e.getMessage(), e));
            cfg.routes.exception(HttpResponseException.class, (e, ctx) -> renderError(ctx, codeFor(e.getStatus()),
                    messageFor(e, ctx), null));
            cfg.routes.exception(DatabaseUnavailableException.class, (e, ctx) -> {
                ApiException unavailable = ApiException.unavailable(e.getMessage() + "; try again shortly", DB_RETRY_AFTER, e);
                renderError(ctx, unavailable.code(), unavailable.getMessage(), unavailable);
            });
            cfg.routes.exception(Exception.class, this::renderBug);
            routes(cfg.routes);
        });
    }

    /** Every route of the server, top to bottom (api.md §1, §4–8). */
    private void routes(RoutesConfig r) {
        r.get("/", dashboard::page);
        r.get("/assets/{name}", dashboard::asset);
        r.get("/api/health", ops::health);
        r.get("/api/openapi.yaml", ops::openapi);
        r.get("/metrics", ops::metrics);
        r.post("/api/agent/v1/register", agents::register);
        r.post("/api/agent/v1/heartbeat", agents::heartbeat);
        for (String prefix : List.of("/api/v1", "/v1")) {   // they authenticate themselves (or need nothing)
            r.post(prefix + "/sessions", sessions::signIn);
            r.get(prefix + "/session", sessions::current);
            r.put(prefix + "/session", sessions::switchTeam);
            r.delete(prefix + "/session", sessions::signOut);
            r.get(prefix + "/setup", sessions::setup);
        }

        api(r, HandlerType.POST, "/capsules", capsules::create);
        api(r, HandlerType.GET, "/capsules", capsules::list);
        api(r, HandlerType.GET, "/capsules/{id}", capsules::get);
        api(r, HandlerType.DELETE, "/capsules/{id}", capsules::destroy);
        api(r, HandlerType.POST, "/capsules/{id}/pause", capsules::pause);
        api(r, HandlerType.POST, "/capsules/{id}/resume", capsules::resume);
        api(r, HandlerType.POST, "/capsules/{id}/ping", capsules::ping);
        api(r, HandlerType.PUT, "/capsules/{id}/network", capsules::setNetwork);

        api(r, HandlerType.POST, "/capsules/{id}/exec", guest::exec);
        api(r, HandlerType.GET, "/capsules/{id}/processes", guest::processes);
        api(r, HandlerType.DELETE, "/capsules/{id}/processes/{target}", guest::kill);
        api(r, HandlerType.POST, "/capsules/{id}/files/write", guest::write);
        api(r, HandlerType.POST, "/capsules/{id}/files/read", guest::read);
        api(r, HandlerType.POST, "/capsules/{id}/files/list", guest::list);
        api(r, HandlerType.POST, "/capsules/{id}/files/mkdir", guest::mkdir);
        api(r, HandlerType.POST, "/capsules/{id}/files/remove", guest::remove);
        api(r, HandlerType.POST, "/capsules/{id}/files/stream/write", guest::streamWrite);
        api(r, HandlerType.POST, "/capsules/{id}/files/stream/read", guest::read);

        ws(r, "/capsules/{id}/exec/stream", streams::exec);
        ws(r, "/capsules/{id}/processes/{target}/stream", streams::attach);
        ws(r, "/capsules/{id}/pty", streams::pty);

        api(r, HandlerType.POST, "/snapshots", snapshots::create);
        api(r, HandlerType.GET, "/snapshots", snapshots::list);
        api(r, HandlerType.DELETE, "/snapshots/{name}", snapshots::delete);

        api(r, HandlerType.POST, "/api-keys", keys::create);
        api(r, HandlerType.GET, "/api-keys", keys::list);
        api(r, HandlerType.DELETE, "/api-keys/{id}", keys::revoke);

        api(r, HandlerType.GET, "/members", members::list);
        api(r, HandlerType.POST, "/members", members::add);
        api(r, HandlerType.DELETE, "/members/{user_id}", members::remove);

        api(r, HandlerType.GET, "/hosts", hostList::list);
    }

    /** An authenticated API route, under /api/v1 and /v1. */
    private void api(RoutesConfig r, HandlerType method, String path, ApiHandler handler) {
        io.javalin.http.Handler h = ctx -> handler.handle(ctx, authenticate(ctx));
        r.addHttpHandler(method, "/api/v1" + path, h);
        r.addHttpHandler(method, "/v1" + path, h);
    }

    /** A WebSocket route under /api/v1 and /v1 (api.md §6a); what is wrong before the upgrade is a plain HTTP error. */
    private void ws(RoutesConfig r, String path, java.util.function.Consumer<io.javalin.websocket.WsConfig> endpoint) {
        for (String prefix : List.of("/api/v1", "/v1")) {
            r.wsBeforeUpgrade(prefix + path, this::beforeUpgrade);
            r.ws(prefix + path, endpoint);
            registered.add(new Route("GET", prefix + path));
        }
    }

    /**
     * A refused upgrade gets the usual error envelope and request id. Javalin does not write a
     * result set before an upgrade, so the envelope is written to the response itself.
     */
    private void beforeUpgrade(Context ctx) throws IOException {
        String id = newRequestId();
        ctx.header("X-Request-Id", id);
        try {
            streams.beforeUpgrade(ctx);
        } catch (ApiException e) {
            metrics.error(e.code().code());
            ctx.res().setStatus(e.code().httpStatus());
            ctx.res().setContentType("application/json");
            ctx.res().getOutputStream().write(Json.MAPPER.writeValueAsBytes(envelope(e.code(), e.getMessage())));
            ctx.res().flushBuffer();
            throw e;
        }
    }

    /** By the X-API-Key header; a browser signed in to the dashboard has its session cookie instead. */
    private Caller authenticate(Context ctx) {
        Caller caller = SessionHandlers.bySession(ctx) ? sessions.caller(ctx) : auth.authenticate(ctx.header("X-API-Key"));
        rateLimiter.acquire(caller.principal());
        return caller;
    }

    public HttpApi start() {
        app.start();
        return this;
    }

    public int port() {
        return app.port();
    }

    public List<Route> routes() {
        return List.copyOf(registered);
    }

    @Override
    public void close() {
        streams.close();
        app.stop();
        portProxy.close();
    }

    // ---- around every request -----------------------------------------------------------------

    private void beforeRequest(Context ctx) {
        String id = newRequestId();
        ctx.attribute(REQUEST_ID, id);
        ctx.attribute(STARTED, System.nanoTime());
        ctx.header("X-Request-Id", id);
        if (!tracker.enter()) {
            ctx.header("Connection", "close");
            throw new ApiException(ErrorCode.UNAVAILABLE, "the server is shutting down; retry against another control plane or later");
        }
        ctx.attribute(TRACKED, Boolean.TRUE);
    }

    private void afterRequest(Context ctx) {
        if (Boolean.TRUE.equals(ctx.attribute(TRACKED))) {
            ctx.attribute(TRACKED, Boolean.FALSE);
            tracker.exit();
        }
        Long started = ctx.attribute(STARTED);
        if (started != null) {
            String route = ctx.endpoint() == null ? "unmatched" : ctx.endpoint().path;
            metrics.request(ctx.method().name(), route, ctx.statusCode(), System.nanoTime() - started);
        }
    }

    private static String newRequestId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(4);
    }

    /** The one shape of every error answer (api.md §1). */
    private static ObjectNode envelope(ErrorCode code, String message) {
        ObjectNode err = Json.MAPPER.createObjectNode();
        ObjectNode inner = err.putObject("error");
        inner.put("code", code.code());
        inner.put("message", message);
        return err;
    }

    private void renderError(Context ctx, ErrorCode code, String message, ApiException e) {
        ObjectNode err = envelope(code, message);
        if (e != null && e.retryAfter() != null) ctx.header("Retry-After", Long.toString(e.retryAfter().toSeconds()));
        metrics.error(code.code());
        Render.json(ctx, code.httpStatus(), err);
        if (code.httpStatus() >= 500) {
            log.atWarn().addKeyValue("request", (String) ctx.attribute(REQUEST_ID)).addKeyValue("code", code.code())
                    .log("{} {}: {}", ctx.method(), ctx.path(), message);
        }
    }

    private void renderBug(Exception e, Context ctx) {
        String id = ctx.attribute(REQUEST_ID);
        log.atError().addKeyValue("request", id).setCause(e).log("{} {} failed", ctx.method(), ctx.path());
        renderError(ctx, ErrorCode.INTERNAL_ERROR, "internal error (request " + id + "); the server log has the details", null);
    }

    private static ErrorCode codeFor(int status) {
        return switch (status) {
            case 400 -> ErrorCode.INVALID_REQUEST;
            case 401 -> ErrorCode.UNAUTHORIZED;
            case 403 -> ErrorCode.FORBIDDEN;
            case 404, 405 -> ErrorCode.NOT_FOUND;
            case 413 -> ErrorCode.TOO_LARGE;
            case 429 -> ErrorCode.RATE_LIMITED;
            case 503 -> ErrorCode.UNAVAILABLE;
            default -> status < 500 ? ErrorCode.INVALID_REQUEST : ErrorCode.INTERNAL_ERROR;
        };
    }

    private static String messageFor(HttpResponseException e, Context ctx) {
        return switch (e.getStatus()) {
            case 404, 405 -> "no such endpoint: " + ctx.method() + " " + Params.abbreviate(ctx.path());
            case 413 -> "the request body is larger than " + (MAX_JSON_BODY >> 20) + " MiB";
            default -> e.getMessage();
        };
    }
}
