package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.server.Json;
import dev.wrenn.server.auth.Caller;
import dev.wrenn.server.capsule.Capacity;
import dev.wrenn.server.hosts.HostRegistry;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.hosts.RegisteredHost;
import io.javalin.http.Context;

/**
 * GET /api/v1/hosts: the hosts capsules are placed on, with their state and capacity, for the
 * dashboard's hosts page. Any caller may read it: it says how much room is left, not whose capsules
 * fill it, and leaves out what only operators need (addresses, certificates).
 */
final class HostHandlers {
    private final Hosts hosts;
    private final HostRegistry registry;
    private final Capacity capacity;

    HostHandlers(Hosts hosts, HostRegistry registry, Capacity capacity) {
        this.hosts = hosts;
        this.registry = registry;
        this.capacity = capacity;
    }

    void list(Context ctx, Caller caller) {
        ArrayNode list = Json.MAPPER.createArrayNode();
        hosts.localId().ifPresent(id -> list.add(host(id, "embedded", "ready", null)));
        for (RegisteredHost h : registry.list()) {
            list.add(host(h.id(), h.name(), h.status(), h.lastSeenAt()));
        }
        Render.json(ctx, 200, list);
    }

    private ObjectNode host(String id, String name, String status, Long lastSeenMillis) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("name", name);
        o.put("status", status);
        o.put("embedded", hosts.isLocal(id));
        o.put("last_seen_at", Views.time(lastSeenMillis));
        HostCapacity c = hosts.lastCapacity(id).orElse(null);
        if (c == null) {
            o.putNull("capacity");
            return o;
        }
        Views.capacity(o.putObject("capacity"), c, capacity.room(id, c));
        return o;
    }
}
