package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.server.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The JSON text frames of the stream endpoints (api.md §6a). Output is cut into frames of at most
 * {@link #MAX_FRAME} bytes: common WebSocket clients refuse larger messages by default (the Python
 * SDK's allows 64 KiB), and small frames keep a terminal responsive.
 */
final class StreamFrames {
    static final int MAX_FRAME = 48 * 1024;
    /** Raw bytes per base64 frame: 4/3 of it stays under MAX_FRAME. */
    private static final int BASE64_CHUNK = 32 * 1024;
    /** Characters per text frame to try first; escaping can make a frame larger, then it is halved. */
    private static final int TEXT_CHUNK = 16 * 1024;

    private StreamFrames() {}

    static String of(String type) {
        return Json.write(node(type));
    }

    static ObjectNode node(String type) {
        return Json.MAPPER.createObjectNode().put("type", type);
    }

    /** {@code {"type":"exit","exit_code":…}}, with {@code timed_out} when the process's timeout ended it. */
    static String exit(ProcessEvent.Exited x) {
        ObjectNode o = node("exit").put("exit_code", x.exitCode());
        if (x.timedOut()) o.put("timed_out", true);
        return Json.write(o);
    }

    /** Base64 frames of {@code type} ({@code "encoding":"base64"} added when {@code marked}). */
    static List<String> base64(String type, byte[] data, boolean marked) {
        List<String> frames = new ArrayList<>();
        for (int off = 0; off < data.length; off += BASE64_CHUNK) {
            byte[] piece = Arrays.copyOfRange(data, off, Math.min(data.length, off + BASE64_CHUNK));
            ObjectNode o = node(type).put("data", Base64.getEncoder().encodeToString(piece));
            if (marked) o.put("encoding", "base64");
            frames.add(Json.write(o));
        }
        return frames;
    }

    /** Text frames of {@code type}: each at most MAX_FRAME bytes once JSON-escaped, never splitting a surrogate pair. */
    static List<String> text(String type, String text) {
        List<String> frames = new ArrayList<>();
        int off = 0;
        while (off < text.length()) {
            int len = Math.min(TEXT_CHUNK, text.length() - off);
            while (true) {
                int end = off + len;
                if (end < text.length() && end - off > 1 && Character.isHighSurrogate(text.charAt(end - 1))) end--;
                String frame = Json.write(node(type).put("data", text.substring(off, end)));
                if (frame.getBytes(StandardCharsets.UTF_8).length <= MAX_FRAME || end - off <= 1) {
                    frames.add(frame);
                    off = end;
                    break;
                }
                len = (end - off) / 2;
            }
        }
        return frames;
    }
}
