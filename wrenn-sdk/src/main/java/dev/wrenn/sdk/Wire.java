package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Reads the API's JSON shapes (api.md §2, §5, §6) into the SDK's records, tolerating unknown fields. */
final class Wire {
    private Wire() {}

    static CapsuleInfo capsule(JsonNode n) {
        requireObject(n, "capsule");
        Map<String, String> metadata = new LinkedHashMap<>();
        n.path("metadata").properties().forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
        return new CapsuleInfo(text(n, "id"), CapsuleStatus.fromWire(text(n, "status")), text(n, "template"),
                n.path("vcpus").asInt(), n.path("memory_mb").asInt(), n.path("timeout_sec").asInt(),
                time(n, "created_at"), time(n, "last_updated"), time(n, "started_at"), time(n, "last_active_at"),
                text(n, "status_reason"), metadata, network(n.path("network")),
                n.has("port_access") ? PortAccess.fromWire(text(n, "port_access")) : PortAccess.PUBLIC,
                text(n, "traffic_token"), n.path("auto_resume").asBoolean());
    }

    /** A capsule's network; an older server sends none, which is the default. */
    static NetworkPolicy network(JsonNode n) {
        if (!n.isObject()) return NetworkPolicy.defaults();
        return new NetworkPolicy(n.path("allow_internet").asBoolean(true), strings(n.path("allow_out")),
                strings(n.path("deny_out")));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.asText()));
        return out;
    }

    static Template template(JsonNode n) {
        requireObject(n, "template");
        return new Template(text(n, "name"), text(n, "type"), n.path("vcpus").asInt(), n.path("memory_mb").asInt(),
                n.path("size_bytes").asLong(), time(n, "created_at"), text(n, "source_capsule_id"),
                n.path("built_in").asBoolean());
    }

    static CommandResult commandResult(JsonNode n) {
        requireObject(n, "command result");
        return new CommandResult(n.path("exit_code").asInt(), n.path("stdout").asText(""), n.path("stderr").asText(""),
                n.path("duration_ms").asLong(), n.path("timed_out").asBoolean(), n.path("truncated").asBoolean(),
                n.path("encoding").asText("utf-8"));
    }

    static ProcessInfo process(JsonNode n) {
        requireObject(n, "process");
        List<String> args = new ArrayList<>();
        n.path("args").forEach(a -> args.add(a.asText()));
        return new ProcessInfo(n.path("pid").asInt(), text(n, "tag"), text(n, "cmd"), args);
    }

    static FileEntry fileEntry(JsonNode n) {
        requireObject(n, "file entry");
        return new FileEntry(text(n, "name"), text(n, "path"), text(n, "type"), n.path("size").asLong(),
                n.path("mode").asInt(), text(n, "permissions"), epochSeconds(n, "modified_at"), text(n, "symlink_target"));
    }

    /** A JSON array of one shape; a non-array answer is a protocol error, not an empty list. */
    static <T> List<T> list(JsonNode n, Function<JsonNode, T> item, String what) {
        if (!n.isArray()) throw unexpected("a list of " + what, n);
        List<T> out = new ArrayList<>(n.size());
        n.forEach(e -> out.add(item.apply(e)));
        return List.copyOf(out);
    }

    private static void requireObject(JsonNode n, String what) {
        if (!n.isObject()) throw unexpected("a " + what, n);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Instant time(JsonNode n, String field) {
        String s = text(n, field);
        if (s == null || s.isEmpty()) return null;
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw new WrennServerException(200, "unexpected_response", field + " '" + s + "' is not an ISO 8601 instant", null);
        }
    }

    /** A time sent as Unix seconds (a file entry's {@code modified_at}, as api.md §6 fixes it). */
    private static Instant epochSeconds(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber()) {
            throw new WrennServerException(200, "unexpected_response", field + " '" + v + "' is not a number of Unix seconds", null);
        }
        return Instant.ofEpochSecond(v.asLong());
    }

    private static WrennServerException unexpected(String expected, JsonNode got) {
        String seen = got.isMissingNode() ? "no JSON" : got.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        return new WrennServerException(200, "unexpected_response", "expected " + expected + " from the server, got " + seen, null);
    }
}
