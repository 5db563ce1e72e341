package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.HostInfo;
import dev.wrenn.server.Json;
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
    private final HostInfo host;
    private final byte[] openapi;

    OpsHandlers(Metrics metrics, HostInfo host) {
        this.metrics = metrics;
        this.host = host;
        this.openapi = loadOpenApi();
    }

    void health(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("status", "ok");
        o.put("version", Version.get());
        o.put("vmm", host.vmm());
        o.put("accelerator", host.accelerator());
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
