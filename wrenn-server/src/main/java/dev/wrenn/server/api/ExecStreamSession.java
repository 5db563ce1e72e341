package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.server.api.StreamHandlers.Connection;
import dev.wrenn.server.capsule.GuestService.Command;
import dev.wrenn.server.error.ErrorCode;

/**
 * {@code GET /v1/capsules/{id}/exec/stream}: one command, started by the first frame, its output as
 * it happens. Closing the socket kills the command unless it was started detached.
 */
final class ExecStreamSession extends StreamSession {

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
            framer(new OutputFramer(body.bool("binary").orElse(false)));
            var s = c.guest().startStream(c.caller().teamId(), c.capsuleId(), cmd);
            ObjectNode started = StreamFrames.node("start").put("pid", s.pid());
            if (s.tag() != null) started.put("tag", s.tag());
            serve(s, dev.wrenn.server.Json.write(started));
        });
    }
}
