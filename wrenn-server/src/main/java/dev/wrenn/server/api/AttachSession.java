package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.server.Json;
import dev.wrenn.server.api.StreamHandlers.Connection;

/**
 * {@code GET /v1/capsules/{id}/processes/{pid|tag}/stream}: follows a process started earlier, with
 * the last 64 KiB of its output first ({@code replay} frames), until it ends. Closing detaches;
 * the process runs on. Of the client's frames only {@code stdin} is taken.
 */
final class AttachSession extends StreamSession {

    AttachSession(Connection c) {
        super(c);
        framer(new OutputFramer("true".equals(c.ctx().queryParam("binary"))));
    }

    @Override
    void opened() {
        attempt(() -> {
            var s = c.guest().attach(c.caller().teamId(), c.capsuleId(), c.ctx().pathParam("target"), true);
            ObjectNode started = StreamFrames.node("start").put("pid", s.pid());
            if (s.tag() != null) started.put("tag", s.tag());
            serve(s, Json.write(started));
        });
    }

    @Override
    boolean awaitsStart() {
        return false;
    }

    @Override
    void frame(String type, ObjectNode frame) {
        if (!type.equals("stdin") || stream() == null) return;
        byte[] data = data(frame);
        if (data != null) attempt(() -> stream().write(data));
    }
}
