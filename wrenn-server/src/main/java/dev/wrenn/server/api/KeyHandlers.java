package dev.wrenn.server.api;

import dev.wrenn.server.auth.Caller;
import dev.wrenn.server.auth.KeyService;
import io.javalin.http.Context;

/** API keys of the caller's team (api.md §7). */
final class KeyHandlers {
    private final KeyService keys;

    KeyHandlers(KeyService keys) {
        this.keys = keys;
    }

    void create(Context ctx, Caller caller) {
        KeyService.NewKey k = keys.create(caller.teamId(), Body.of(ctx).requiredString("name"));
        Render.json(ctx, 201, Views.key(k.key(), k.secret()));
    }

    void list(Context ctx, Caller caller) {
        Render.json(ctx, 200, Views.array(keys.list(caller.teamId()), k -> Views.key(k, null)));
    }

    void revoke(Context ctx, Caller caller) {
        keys.revoke(caller.teamId(), ctx.pathParam("id"));
        ctx.status(204);
    }
}
