package dev.wrenn.server.api;

import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.server.ServerConfig;
import dev.wrenn.server.auth.Caller;
import dev.wrenn.server.capsule.CapsuleRecord;
import dev.wrenn.server.capsule.CapsuleService;
import dev.wrenn.server.capsule.CapsuleService.CreateRequest;
import dev.wrenn.server.capsule.CapsuleStatus;
import dev.wrenn.server.error.ApiException;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Capsule endpoints (api.md §4). */
final class CapsuleHandlers {
    static final int MAX_TIMEOUT_SEC = 2_592_000;
    static final Duration CREATE_WAIT = Duration.ofSeconds(60);
    private static final int MAX_METADATA_ENTRIES = 64;
    private static final int MAX_METADATA_KEY = 256;
    private static final int MAX_METADATA_VALUE = 4096;

    private final CapsuleService capsules;
    private final ServerConfig config;

    CapsuleHandlers(CapsuleService capsules, ServerConfig config) {
        this.capsules = capsules;
        this.config = config;
    }

    void create(Context ctx, Caller caller) {
        Body body = Body.of(ctx);
        CreateRequest req = new CreateRequest(
                body.string("template").orElse("minimal"),
                body.integer("vcpus", 1, config.maxVcpus()).orElse(null),
                body.integer("memory_mb", 128, config.maxMemoryMb()).orElse(null),
                body.integer("timeout_sec", 0, MAX_TIMEOUT_SEC).orElse(0),
                metadata(body),
                NetworkFields.forCreate(body));
        Duration wait = Params.flag(ctx, "wait") ? CREATE_WAIT : Duration.ZERO;
        CapsuleRecord c = capsules.create(caller.teamId(), req, wait);
        Render.json(ctx, 201, Views.capsule(c));
    }

    void list(Context ctx, Caller caller) {
        Render.json(ctx, 200, Views.array(capsules.list(caller.teamId(), statuses(ctx), metadataFilter(ctx)), Views::capsule));
    }

    void get(Context ctx, Caller caller) {
        Render.json(ctx, 200, Views.capsule(capsules.get(caller.teamId(), Params.capsuleId(ctx))));
    }

    void destroy(Context ctx, Caller caller) {
        capsules.destroy(caller.teamId(), Params.capsuleId(ctx));
        ctx.status(204);
    }

    void pause(Context ctx, Caller caller) {
        Render.json(ctx, 200, Views.capsule(capsules.pause(caller.teamId(), Params.capsuleId(ctx))));
    }

    void resume(Context ctx, Caller caller) {
        Render.json(ctx, 200, Views.capsule(capsules.resume(caller.teamId(), Params.capsuleId(ctx))));
    }

    /** The body is the whole new policy: a field left out takes its default (api.md §8). */
    void setNetwork(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        NetworkPolicy policy = NetworkFields.policy(Body.of(ctx));
        Render.json(ctx, 200, Views.capsule(capsules.setNetwork(caller.teamId(), id, policy)));
    }

    void ping(Context ctx, Caller caller) {
        capsules.ping(caller.teamId(), Params.capsuleId(ctx));
        ctx.status(204);
    }

    private static Map<String, String> metadata(Body body) {
        Map<String, String> m = body.stringMap("metadata", MAX_METADATA_ENTRIES).orElse(Map.of());
        m.forEach((k, v) -> {
            if (k.isEmpty() || k.length() > MAX_METADATA_KEY) {
                throw ApiException.invalid("metadata keys must be 1 to " + MAX_METADATA_KEY + " characters, got '"
                        + Params.abbreviate(k) + "'");
            }
            if (v.length() > MAX_METADATA_VALUE) {
                throw ApiException.invalid("metadata." + Params.abbreviate(k) + " is longer than " + MAX_METADATA_VALUE + " characters");
            }
        });
        return m;
    }

    /** {@code ?status=running,paused}; none = every status. */
    private static Set<CapsuleStatus> statuses(Context ctx) {
        Set<CapsuleStatus> out = EnumSet.noneOf(CapsuleStatus.class);
        for (String param : ctx.queryParams("status")) {
            for (String s : param.split(",")) {
                if (s.isBlank()) continue;
                try {
                    out.add(CapsuleStatus.fromWire(s.strip()));
                } catch (IllegalArgumentException e) {
                    throw ApiException.invalid("status '" + Params.abbreviate(s.strip()) + "' is not one of "
                            + "pending, starting, running, paused, stopped, error");
                }
            }
        }
        return out;
    }

    /** {@code ?metadata.KEY=VALUE}, every pair must match. */
    private static Map<String, String> metadataFilter(Context ctx) {
        Map<String, String> filter = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : ctx.queryParamMap().entrySet()) {
            if (e.getKey().startsWith("metadata.") && !e.getValue().isEmpty()) {
                filter.put(e.getKey().substring("metadata.".length()), e.getValue().get(0));
            }
        }
        return filter;
    }
}
