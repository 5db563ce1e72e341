package dev.wrenn.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.NetworkPolicy;
import java.util.ArrayList;
import java.util.List;

/** A network policy in the API's JSON shape (api.md §8), as the capsule object shows it and its column keeps it. */
public final class PolicyJson {
    private PolicyJson() {}

    public static ObjectNode node(NetworkPolicy p) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("allow_internet", p.allowInternet());
        p.allowOutText().forEach(o.putArray("allow_out")::add);
        p.denyOutText().forEach(o.putArray("deny_out")::add);
        return o;
    }

    public static String write(NetworkPolicy p) {
        return Json.write(node(p));
    }

    /** A policy this server wrote; anything else is a corrupt row. */
    public static NetworkPolicy read(String json) {
        try {
            JsonNode o = Json.MAPPER.readTree(json);
            return NetworkPolicy.of(o.path("allow_internet").asBoolean(true), strings(o.path("allow_out")),
                    strings(o.path("deny_out")));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalStateException("stored network policy cannot be read: " + json, e);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
