package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.server.Json;
import dev.wrenn.server.api.StreamHandlers.Connection;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/capsules/{id}/processes/{pid|tag}/stream}: follows a process started earlier, with
 * the last 64 KiB of its output first ({@code replay} frames), until it ends. Closing detaches;
 * the process runs on. Of the client's frames only {@code stdin} is taken.
 */
final class AttachSession extends StreamSession {
    private final OutputText replay = new OutputText();
    private final OutputText stdout = new OutputText();
    private final OutputText stderr = new OutputText();
    private final boolean binary;

    AttachSession(Connection c) {
        super(c);
        this.binary = "true".equals(c.ctx().queryParam("binary"));
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

    @Override
    List<String> output(ProcessEvent.Output o) {
        String type = switch (o.source()) {
            case REPLAY -> "replay";
            case STDERR -> "stderr";
            case STDOUT -> "stdout";
        };
        if (binary) return StreamFrames.base64(type, o.data(), true);
        OutputText decoder = switch (o.source()) {
            case REPLAY -> replay;
            case STDERR -> stderr;
            case STDOUT -> stdout;
        };
        return StreamFrames.text(type, decoder.decode(o.data()));
    }

    @Override
    List<String> flush() {
        List<String> rest = new ArrayList<>(StreamFrames.text("stdout", stdout.finish()));
        rest.addAll(StreamFrames.text("stderr", stderr.finish()));
        return rest;
    }
}
