package dev.wrenn.server.proxy;

import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.PortStream;
import dev.wrenn.server.capsule.ActivityTracker;
import dev.wrenn.server.capsule.CapsuleRecord;
import dev.wrenn.server.capsule.CapsuleService;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.hosts.Hosts;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The port proxy (api.md §9): one request to {@code {port}-{capsule id}.…} passed to the service
 * listening on that port in the capsule, and its answer back, both streamed. The request waits
 * for the capsule to be ready (see {@link PortGate}), counts as activity while it runs, and reuses
 * kept-alive connections to the service. An Upgrade the service accepts becomes a {@link Tunnel}.
 * Failures the proxy answers itself are plain text.
 */
public final class PortProxy implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PortProxy.class);
    /** A service that neither accepts nor refuses within this is stuck (the host is on a near network at worst). */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Silence in the middle of an answer's body for this long ends the exchange. */
    static final Duration BODY_IDLE_TIMEOUT = Duration.ofMinutes(5);

    private final PortGate gate;
    private final Hosts hosts;
    private final ActivityTracker activity;
    private final Duration responseTimeout;
    private final BackendPool pool = new BackendPool();

    /** @param responseTimeout how long a service may take to start its answer (504 after) */
    public PortProxy(CapsuleService capsules, Hosts hosts, ActivityTracker activity, Duration responseTimeout) {
        this.gate = new PortGate(capsules);
        this.hosts = hosts;
        this.activity = activity;
        this.responseTimeout = responseTimeout;
    }

    /** Serves one request on the calling (virtual) thread and completes {@code callback}. */
    void serve(PortRoute route, Request request, Response response, Callback callback) {
        BackendConnection service = null;
        try {
            CapsuleRecord c = gate.admit(route, ForwardedRequest.presentedToken(request));
            try (ActivityTracker.Use use = activity.use(c.id())) {
                BackendPool.Key key = new BackendPool.Key(c.id(), route.port(), c.hostId(), c.startedAt());
                Host host = host(c, route);
                Supplier<PortStream> connect = () -> connect(host, route);
                String upgrade = upgradeRequested(request.getHeaders());
                ForwardedRequest forwarded = new ForwardedRequest(request, upgrade);
                service = pool.lease(key, connect);
                ResponseHead head;
                try {
                    head = send(service, forwarded, request);
                } catch (EOFException | SocketException e) {
                    if (!service.reused() || forwarded.body() != ForwardedRequest.Body.NONE) throw e;
                    // a kept-alive connection the service closed while it idled: once more on a new one
                    service.close();
                    service = new BackendConnection(connect.get(), key);
                    head = send(service, forwarded, request);
                }
                if (head.status() == 101 && upgrade != null) {
                    switchProtocols(c.id(), head, service, request, response, callback);
                    service = null;   // the tunnel owns it now
                    return;
                }
                relay(head, service, request, response);
                if (head.keepsConnection() && upgrade == null && head.framing(request.getMethod()) != ResponseHead.Framing.UNTIL_CLOSE) {
                    pool.release(service);
                    service = null;
                }
                callback.succeeded();
            }
        } catch (ProxyFailure f) {
            fail(response, callback, f.status(), f.getMessage());
        } catch (SocketTimeoutException e) {
            fail(response, callback, 504, "the service on port " + route.port() + " in capsule " + route.capsuleId()
                    + " did not answer within " + (service == null ? CONNECT_TIMEOUT : responseTimeout).toSeconds() + " s");
        } catch (ResponseHead.BadResponse e) {
            fail(response, callback, 502, "port " + route.port() + " in capsule " + route.capsuleId() + ": " + e.getMessage());
        } catch (IOException e) {
            fail(response, callback, 502, "the connection to port " + route.port() + " in capsule " + route.capsuleId()
                    + " failed: " + e.getMessage());
        } catch (RuntimeException e) {
            log.atError().addKeyValue("capsule", route.capsuleId()).setCause(e).log("proxied request failed");
            fail(response, callback, 500, "the proxy failed: " + e);
        } finally {
            if (service != null) service.close();
        }
    }

    private Host host(CapsuleRecord c, PortRoute route) {
        try {
            return hosts.of(c.hostId());
        } catch (ApiException e) {
            throw new ProxyFailure(e.code().httpStatus(), "port " + route.port() + " of capsule " + route.capsuleId() + ": "
                    + e.getMessage());
        }
    }

    /** A new connection to the service; the host's refusals as the proxy's answers. */
    private static PortStream connect(Host host, PortRoute route) {
        try {
            return host.openPort(route.capsuleId(), route.port(), CONNECT_TIMEOUT);
        } catch (HostException e) {
            String where = "port " + route.port() + " in capsule " + route.capsuleId();
            throw switch (e.error()) {
                case CONNECTION_REFUSED -> new ProxyFailure(502, "nothing listens on " + where);
                case TIMEOUT -> new ProxyFailure(504, "the service on " + where + " did not answer within "
                        + CONNECT_TIMEOUT.toSeconds() + " s");
                case NOT_FOUND -> new ProxyFailure(404, where + ": " + e.getMessage());
                case INVALID_STATE -> new ProxyFailure(409, where + ": " + e.getMessage());
                case HOST_UNREACHABLE -> new ProxyFailure(503, where + ": " + e.getMessage());
                default -> new ProxyFailure(502, where + ": " + e.getMessage());
            };
        }
    }

    /** Sends the request (head, then its body as it comes) and reads the head of the answer, skipping interim ones. */
    private ResponseHead send(BackendConnection service, ForwardedRequest forwarded, Request request) throws IOException {
        forwarded.writeHead(service.out());
        if (forwarded.body() == ForwardedRequest.Body.NONE) {
            service.out().flush();
        } else {
            Bodies.send(Request.asInputStream(request), service.out(), forwarded.body() == ForwardedRequest.Body.CHUNKED);
        }
        service.readTimeout(responseTimeout);
        ResponseHead head;
        do {
            head = ResponseHead.read(service.in());
        } while (head.status() >= 100 && head.status() < 200 && head.status() != 101);
        service.readTimeout(BODY_IDLE_TIMEOUT);
        return head;
    }

    private void relay(ResponseHead head, BackendConnection service, Request request, Response response) throws IOException {
        ResponseHead.Framing framing = head.framing(request.getMethod());
        response.setStatus(head.status());
        copyFields(head, response.getHeaders(), framing == ResponseHead.Framing.CHUNKED);
        InputStream in = service.in();
        Bodies.Sink client = (data, last) -> {
            try (Blocker.Callback written = Blocker.callback()) {
                response.write(last, data, written);
                written.block();
            }
        };
        switch (framing) {
            case NONE -> client.write(ByteBuffer.allocate(0), true);
            case LENGTH -> Bodies.copyLength(in, head.contentLength(), client);
            case CHUNKED -> Bodies.copyChunked(in, client);
            case UNTIL_CLOSE -> Bodies.copyUntilClose(in, client);
        }
    }

    /** The service's 101: written to the client, then Jetty gives the client's connection to the tunnel. */
    private void switchProtocols(String capsuleId, ResponseHead head, BackendConnection service, Request request,
                                 Response response, Callback callback) throws IOException {
        service.readTimeout(Duration.ZERO);
        response.setStatus(101);
        copyFields(head, response.getHeaders(), false);
        response.getHeaders().put("Connection", "Upgrade");
        head.values("Upgrade").forEach(v -> response.getHeaders().put("Upgrade", v));
        var meta = request.getConnectionMetaData();
        Tunnel tunnel = new Tunnel(meta.getConnection().getEndPoint(), meta.getConnector().getExecutor(), service,
                () -> activity.touch(capsuleId));
        request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, tunnel);
        response.write(true, null, callback);
    }

    /** The answer's end-to-end fields; Content-Length only where it frames the body the client gets. */
    private static void copyFields(ResponseHead head, HttpFields.Mutable to, boolean chunked) {
        HopByHop hop = HopByHop.of(head.values("Connection"));
        for (ResponseHead.Field f : head.fields()) {
            if (hop.contains(f.name()) || f.name().equalsIgnoreCase("Via")) continue;
            if (chunked && f.name().equalsIgnoreCase("Content-Length")) continue;
            to.add(f.name(), f.value());
        }
        to.put("Via", ForwardedRequest.via(head.values("Via")));
    }

    /** The protocol of an Upgrade request ("websocket"), or null for a plain request. */
    private static String upgradeRequested(HttpFields h) {
        String upgrade = h.get("Upgrade");
        return upgrade != null && HopByHop.names(h.getValuesList("Connection"), "upgrade") ? upgrade : null;
    }

    /** A plain-text answer of the proxy's own; when the answer has begun already, the connection is cut instead. */
    static void fail(Response response, Callback callback, int status, String message) {
        if (response.isCommitted()) {
            callback.failed(new IOException(message));
            return;
        }
        response.setStatus(status);
        HttpFields.Mutable h = response.getHeaders();
        h.clear();
        h.put("Content-Type", "text/plain;charset=utf-8");
        h.put("Cache-Control", "no-store");
        response.write(true, ByteBuffer.wrap((message + "\n").getBytes(StandardCharsets.UTF_8)), callback);
        if (status >= 500) log.atInfo().addKeyValue("status", status).log("proxy: {}", message);
    }

    @Override
    public void close() {
        pool.close();
    }
}
