package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.server.api.StreamHandlers.Connection;
import dev.wrenn.server.capsule.GuestService.Command;
import dev.wrenn.server.error.ErrorCode;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/capsules/{id}/exec/stream}: one command, started by the first frame, its output as
 * it happens. Closing the socket kills the command unless it was started detached.
 */
final class ExecStreamSession extends StreamSession {
    private final OutputText stdout = new OutputText();
    private final OutputText stderr = new OutputText();
    private boolean binary;

    ExecStreamSession(Connection c) {
        super(c);
    }

    @Override
    void frame(String type, ObjectNode frame) {
        if (stream() == null) {
            if (!type.equals("start")) {
                fatal(StreamErrors.of(ErrorCode.INVALID_REQUEST, "the first frame must be {\"type\":\"start\",\"cmd\":…}, not \""
                        + Params.abbreviate(type) + "\""));
                closed();
                return;
            }
            start(frame);
            return;
        }
        switch (type) {
            case "stdin" -> {
                byte[] data = data(frame);
                if (data != null) attempt(() -> stream().write(data));
            }
            case "close_stdin" -> attempt(() -> stream().closeStdin());
            case "stop" -> kill();
            default -> protocolError("unknown frame type \"" + Params.abbreviate(type) + "\"; expected stdin, close_stdin or stop");
        }
    }

    private void start(ObjectNode frame) {
        Body body = Body.of(frame);
        attempt(() -> {
            // the socket bounds the command's life: no timeout unless one is asked for
            Command cmd = CommandFields.read(body, false, true, 0);
            binary = body.bool("binary").orElse(false);
            var s = c.guest().startStream(c.caller().teamId(), c.capsuleId(), cmd);
            ObjectNode started = StreamFrames.node("start").put("pid", s.pid());
            if (s.tag() != null) started.put("tag", s.tag());
            serve(s, dev.wrenn.server.Json.write(started));
        });
    }

    @Override
    List<String> output(ProcessEvent.Output o) {
        String type = o.source() == ProcessEvent.Source.STDERR ? "stderr" : "stdout";
        if (binary) return StreamFrames.base64(type, o.data(), true);
        OutputText decoder = o.source() == ProcessEvent.Source.STDERR ? stderr : stdout;
        return StreamFrames.text(type, decoder.decode(o.data()));
    }

    @Override
    List<String> flush() {
        List<String> rest = new ArrayList<>(StreamFrames.text("stdout", stdout.finish()));
        rest.addAll(StreamFrames.text("stderr", stderr.finish()));
        return rest;
    }
}
