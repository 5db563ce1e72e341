package dev.wrenn.sdk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The SDK's one ObjectMapper (thread-safe once configured) and its tree helpers. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static byte[] bytes(JsonNode node) {
        return text(node).getBytes(StandardCharsets.UTF_8);
    }

    static String text(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written", e);
        }
    }

    /** The parsed body, or a missing node when it is empty or not JSON (an error page from a proxy). */
    static JsonNode parseOrMissing(byte[] body) {
        return body == null ? MissingNode.getInstance() : parseOrMissing(new String(body, StandardCharsets.UTF_8));
    }

    /** The parsed text, or a missing node when it is empty or not JSON. */
    static JsonNode parseOrMissing(String text) {
        if (text.isEmpty()) return MissingNode.getInstance();
        try {
            JsonNode n = MAPPER.readTree(text);
            return n == null ? MissingNode.getInstance() : n;
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }
}
