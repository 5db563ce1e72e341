package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.api.HostInfo;
import dev.wrenn.server.Json;
import dev.wrenn.server.capsule.Capacity;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.Version;
import dev.wrenn.server.ops.Metrics;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Unauthenticated operations endpoints: health, the OpenAPI document, Prometheus metrics. */
final class OpsHandlers {
    static final String OPENAPI_RESOURCE = "/dev/wrenn/server/openapi.yaml";

    private final Metrics metrics;
    private final Host host;
    private final String hostId;
    private final HostInfo info;
    private final Capacity capacity;
    private final byte[] openapi;

    /** Health tells of the embedded host, when there is one. */
    OpsHandlers(Metrics metrics, Hosts hosts, Capacity capacity) {
        this.metrics = metrics;
        this.host = hosts.local().orElse(null);
        this.hostId = hosts.localId().orElse(null);
        this.info = host == null ? null : host.info();
        this.capacity = capacity;
        this.openapi = loadOpenApi();
    }

    void health(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", "ok");
        o.put("version", Version.get());
        if (host == null) {
            Render.json(ctx, 200, o);
            return;
        }
        o.put("vmm", info.vmm());
        o.put("accelerator", info.accelerator());
        HostCapacity h = host.capacity();
        ObjectNode c = Views.capacity(o.putObject("capacity"), h, capacity.room(hostId, h));
        c.put("memory_reserve_mb", capacity.reserveMb());
        c.put("vm_memory_mb", h.vmMemoryMb());
        c.put("warm_clones", h.warmClones());
        c.put("disk_reserve_mb", Capacity.DISK_RESERVE_MB);
        Render.json(ctx, 200, o);
    }

    void openapi(Context ctx) {
        ctx.contentType("application/yaml").result(openapi);
    }

    void metrics(Context ctx) {
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
    }

    static byte[] loadOpenApi() {
        try (InputStream in = OpsHandlers.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the build");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
