package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.server.Json;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.hosts.HostRegistry;
import dev.wrenn.server.hosts.RegisteredHost;
import io.javalin.http.Context;
import java.time.Duration;

/**
 * What host agents call (docs/operations.md): registration and heartbeats, authenticated by the
 * host's token as {@code Authorization: Bearer wrh_...}; API keys have no say here.
 */
final class AgentHandlers {
    private static final String BEARER = "Bearer ";
    private static final int MAX_MB = Integer.MAX_VALUE;

    private final HostRegistry hosts;
    private final Duration heartbeat;

    /** @param heartbeat how often agents are to send their heartbeat */
    AgentHandlers(HostRegistry hosts, Duration heartbeat) {
        this.hosts = hosts;
        this.heartbeat = heartbeat;
    }

    void register(Context ctx) {
        Body b = Body.of(ctx);
        HostRegistry.Registration r = new HostRegistry.Registration(b.string("address").orElse(null),
                b.integer("port", 1, 65535).orElseThrow(() -> ApiException.invalid("port is required")),
                b.requiredString("certificate"), b.string("vmm").orElse(null), b.string("accelerator").orElse(null),
                capacity(b));
        RegisteredHost h = hosts.register(token(ctx), r, ctx.req().getRemoteAddr());
        Render.json(ctx, 200, answer(h));
    }

    void heartbeat(Context ctx) {
        RegisteredHost h = hosts.heartbeat(token(ctx), capacity(Body.of(ctx)));
        Render.json(ctx, 200, answer(h));
    }

    private ObjectNode answer(RegisteredHost h) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("host_id", h.id());
        o.put("name", h.name());
        o.put("draining", h.draining());
        o.put("heartbeat_interval_sec", Math.max(1, heartbeat.toSeconds()));
        return o;
    }

    private static HostCapacity capacity(Body b) {
        Body c = b.object("capacity").orElseThrow(() -> ApiException.invalid("capacity is required"));
        return new HostCapacity(c.integer("cpus", 1, 65536).orElseThrow(() -> ApiException.invalid("capacity.cpus is required")),
                mb(c, "memory_total_mb"), mb(c, "memory_free_mb"), mb(c, "vm_memory_mb"),
                c.integer("vms", 0, 1_000_000).orElse(0), c.integer("warm_clones", 0, 1_000_000).orElse(0),
                mb(c, "disk_free_mb"));
    }

    private static long mb(Body c, String field) {
        return c.integer(field, 0, MAX_MB).orElseThrow(() -> ApiException.invalid("capacity." + field + " is required"));
    }

    private static String token(Context ctx) {
        String h = ctx.header("Authorization");
        if (h == null || !h.startsWith(BEARER)) {
            throw new ApiException(ErrorCode.UNAUTHORIZED, "a host agent authenticates with Authorization: Bearer <host token>");
        }
        return h.substring(BEARER.length()).strip();
    }
}
