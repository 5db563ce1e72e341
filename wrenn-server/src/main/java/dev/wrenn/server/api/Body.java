package dev.wrenn.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.server.Json;
import dev.wrenn.server.error.ApiException;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A JSON request body read strictly (api.md §1): it must be an object; a field of the wrong type
 * or out of range is 400 naming the field. Unknown fields are ignored; {@code null} means absent.
 */
final class Body {
    private final ObjectNode root;
    /** How messages name this object's fields: "" at the top, "network." inside {@code network}. */
    private final String prefix;

    private Body(ObjectNode root, String prefix) {
        this.root = root;
        this.prefix = prefix;
    }

    /** A JSON object read elsewhere (a stream's frame), with the same rules for its fields. */
    static Body of(ObjectNode object) {
        return new Body(object, "");
    }

    /** The request's body; an empty body is an empty object (every field takes its default). */
    static Body of(Context ctx) {
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length == 0 || new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            return new Body(Json.MAPPER.createObjectNode(), "");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid("request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.invalid("request body could not be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw ApiException.invalid("request body must be a JSON object, not " + describe(node));
        }
        return new Body((ObjectNode) node, "");
    }

    /** A nested object, whose fields' messages name it ({@code network.allow_out}). */
    Optional<Body> object(String field) {
        JsonNode n = field(field);
        if (n == null) return Optional.empty();
        if (!n.isObject()) throw wrongType(field, "an object", n);
        return Optional.of(new Body((ObjectNode) n, name(field) + "."));
    }

    /** The field as messages name it. */
    String name(String field) {
        return prefix + field;
    }

    Optional<String> string(String field) {
        JsonNode n = field(field);
        if (n == null) return Optional.empty();
        if (!n.isTextual()) throw wrongType(field, "a string", n);
        String s = n.textValue();
        if (s.indexOf('\0') >= 0) throw ApiException.invalid(name(field) + " must not contain NUL characters");
        return Optional.of(s);
    }

    String requiredString(String field) {
        return string(field).orElseThrow(() -> ApiException.invalid(name(field) + " is required"));
    }

    /** An integer in {@code min..max}; fractions (even 2.0), strings and out-of-range values are 400. */
    Optional<Integer> integer(String field, long min, long max) {
        JsonNode n = field(field);
        if (n == null) return Optional.empty();
        if (!n.isIntegralNumber()) throw wrongType(field, "an integer", n);
        if (!n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
            throw ApiException.invalid(name(field) + " must be between " + min + " and " + max + ", got " + abbreviate(n.asText()));
        }
        return Optional.of((int) n.longValue());
    }

    Optional<Boolean> bool(String field) {
        JsonNode n = field(field);
        if (n == null) return Optional.empty();
        if (!n.isBoolean()) throw wrongType(field, "true or false", n);
        return Optional.of(n.booleanValue());
    }

    Optional<List<String>> stringList(String field, int maxItems) {
        JsonNode n = field(field);
        if (n == null) return Optional.empty();
        if (!n.isArray()) throw wrongType(field, "an array of strings", n);
        if (n.size() > maxItems) throw ApiException.invalid(name(field) + " has " + n.size() + " items; at most " + maxItems);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode item = n.get(i);
            if (!item.isTextual()) throw wrongType(field + "[" + i + "]", "a string", item);
            if (item.textValue().indexOf('\0') >= 0) throw ApiException.invalid(name(field) + "[" + i + "] must not contain NUL characters");
            out.add(item.textValue());
        }
        return Optional.of(out);
    }

    Optional<Map<String, String>> stringMap(String field, int maxEntries) {
        JsonNode n = field(field);
        if (n == null) return Optional.empty();
        if (!n.isObject()) throw wrongType(field, "an object of strings", n);
        if (n.size() > maxEntries) throw ApiException.invalid(name(field) + " has " + n.size() + " entries; at most " + maxEntries);
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (!e.getValue().isTextual()) throw wrongType(field + "." + e.getKey(), "a string", e.getValue());
            if ((e.getKey() + e.getValue().textValue()).indexOf('\0') >= 0) {
                throw ApiException.invalid(name(field) + "." + e.getKey() + " must not contain NUL characters");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return Optional.of(out);
    }

    private JsonNode field(String name) {
        JsonNode n = root.get(name);
        return n == null || n.isNull() ? null : n;
    }

    private ApiException wrongType(String field, String expected, JsonNode got) {
        return ApiException.invalid(name(field) + " must be " + expected + ", got " + describe(got));
    }

    private static String describe(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        if (n.isTextual()) return "a string";
        if (n.isBoolean()) return "a boolean";
        if (n.isNumber()) return "the number " + abbreviate(n.asText());
        if (n.isArray()) return "an array";
        if (n.isObject()) return "an object";
        return n.getNodeType().name().toLowerCase();
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
