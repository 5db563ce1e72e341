package dev.wrenn.server.api;

import dev.wrenn.server.Ids;
import dev.wrenn.server.auth.Caller;
import dev.wrenn.server.capsule.SnapshotService;
import dev.wrenn.server.error.ApiException;
import io.javalin.http.Context;
import java.util.Locale;

/** Snapshot templates (api.md §5). */
final class SnapshotHandlers {
    private final SnapshotService snapshots;

    SnapshotHandlers(SnapshotService snapshots) {
        this.snapshots = snapshots;
    }

    void create(Context ctx, Caller caller) {
        Body body = Body.of(ctx);
        // sandbox_id: the name older clients send
        String capsuleId = body.string("capsule_id").or(() -> body.string("sandbox_id"))
                .orElseThrow(() -> ApiException.invalid("capsule_id is required"));
        if (!Ids.CAPSULE.matches(capsuleId)) {
            throw ApiException.invalid("capsule_id '" + Params.abbreviate(capsuleId) + "' is not a capsule id: expected cl- and 25 of [0-9a-z]");
        }
        String name = body.string("name").orElse(null);
        boolean overwrite = Params.flag(ctx, "overwrite");
        Render.json(ctx, 201, Views.template(snapshots.create(caller.teamId(), capsuleId, name, overwrite)));
    }

    void list(Context ctx, Caller caller) {
        String type = ctx.queryParam("type");
        SnapshotService.Type t = null;
        if (type != null && !type.isEmpty()) {
            t = switch (type.toLowerCase(Locale.ROOT)) {
                case "base" -> SnapshotService.Type.BASE;
                case "snapshot" -> SnapshotService.Type.SNAPSHOT;
                default -> throw ApiException.invalid("type '" + Params.abbreviate(type) + "' is not base or snapshot");
            };
        }
        Render.json(ctx, 200, Views.array(snapshots.list(caller.teamId(), t), Views::template));
    }

    void delete(Context ctx, Caller caller) {
        snapshots.delete(caller.teamId(), ctx.pathParam("name"));
        ctx.status(204);
    }
}
