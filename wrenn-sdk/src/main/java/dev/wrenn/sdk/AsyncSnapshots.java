package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Snapshot-template operations of an {@link AsyncWrennClient}; each returns a future at once. */
public final class AsyncSnapshots {
    private final Api api;

    AsyncSnapshots(Api api) {
        this.api = api;
    }

    /**
     * Snapshots a running or paused capsule into a template new capsules can be created from. A running
     * capsule is frozen only while its state is written, then runs on with the same id.
     *
     * @param capsuleId the capsule to snapshot
     * @param name the template's name; null for a generated {@code template-xxxxxxxx}
     * @return the new template; fails with {@link WrennConflictException} when the name is taken
     */
    public CompletableFuture<Template> create(String capsuleId, String name) {
        return create(capsuleId, name, false);
    }

    /**
     * Snapshots a capsule into a template, replacing the team's template of that name when asked to.
     *
     * @param capsuleId the capsule to snapshot
     * @param name the template's name; null for a generated one
     * @param overwrite true to replace an existing team template of that name
     * @return the new template
     */
    public CompletableFuture<Template> create(String capsuleId, String name, boolean overwrite) {
        UrlPath.segment(capsuleId, "capsule id");
        ObjectNode body = Json.object().put("capsule_id", capsuleId);
        if (name != null) body.put("name", name);
        String path = "/v1/snapshots" + (overwrite ? "?overwrite=true" : "");
        return api.transport().json(Call.post(path, Json.bytes(body), false, api.longOperation()), Wire::template);
    }

    /** {@return the built-in templates and the team's snapshots, newest first} */
    public CompletableFuture<List<Template>> list() {
        return api.transport().json(Call.get("/v1/snapshots", api.quick()), n -> Wire.list(n, Wire::template, "templates"));
    }

    /**
     * Deletes a team template. Capsules created from it keep working.
     *
     * @param name the template's name
     * @return completes when it is deleted; fails with {@link WrennForbiddenException} for a built-in one
     */
    public CompletableFuture<Void> delete(String name) {
        return api.transport().discard(Call.delete("/v1/snapshots/" + UrlPath.segment(name, "template name"), api.quick()));
    }
}
