package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessStream;
import dev.wrenn.server.Json;
import dev.wrenn.server.api.StreamHandlers.Connection;
import dev.wrenn.server.capsule.GuestService.TerminalRequest;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import java.util.List;

/**
 * {@code GET /v1/capsules/{id}/pty}: an interactive terminal, opened by a {@code start} frame or
 * re-attached by a {@code connect} frame with its tag. The terminal survives its socket; on
 * connect its last 64 KiB of output come first, so the screen is not blank.
 */
final class TerminalSession extends StreamSession {
    private static final int MAX_SIZE = 65535;

    TerminalSession(Connection c) {
        super(c);
    }

    @Override
    void frame(String type, ObjectNode frame) {
        if (stream() == null) {
            switch (type) {
                case "start" -> start(frame);
                case "connect" -> connect(frame);
                default -> {
                    fatal(StreamErrors.of(ErrorCode.INVALID_REQUEST, "the first frame must be {\"type\":\"start\"} or"
                            + " {\"type\":\"connect\",\"tag\":…}, not \"" + Params.abbreviate(type) + "\""));
                    closed();
                }
            }
            return;
        }
        switch (type) {
            case "input" -> {
                byte[] data = data(frame);
                if (data != null) attempt(() -> stream().write(data));
            }
            case "resize" -> resize(frame);
            case "kill" -> kill();
            case "pong", "ping" -> { }
            default -> protocolError("unknown frame type \"" + Params.abbreviate(type) + "\"; expected input, resize or kill");
        }
    }

    private void start(ObjectNode frame) {
        Body body = Body.of(frame);
        attempt(() -> {
            String cmd = body.string("cmd").filter(s -> !s.isEmpty()).orElse(null);
            TerminalRequest t = new TerminalRequest(cmd, body.stringList("args", 4096).orElse(List.of()),
                    CommandFields.envs(body), body.string("cwd").map(p -> Params.path(p, "cwd")).orElse(null),
                    body.integer("rows", 1, MAX_SIZE).orElse(24), body.integer("cols", 1, MAX_SIZE).orElse(80));
            started(c.guest().openTerminal(c.caller().teamId(), c.capsuleId(), t));
        });
    }

    private void connect(ObjectNode frame) {
        Body body = Body.of(frame);
        attempt(() -> {
            String tag = Params.processTarget(body.requiredString("tag"));
            ProcessStream s = c.guest().attach(c.caller().teamId(), c.capsuleId(), tag, true);
            if (!s.pty()) {
                s.close();
                throw new ApiException(ErrorCode.INVALID_REQUEST,
                        "process " + tag + " is not a terminal; attach to it at …/processes/" + tag + "/stream");
            }
            started(s);
        });
    }

    private void started(ProcessStream s) {
        serve(s, Json.write(StreamFrames.node("started").put("tag", s.tag()).put("pid", s.pid())));
    }

    private void resize(ObjectNode frame) {
        Body body = Body.of(frame);
        try {
            int cols = body.integer("cols", 1, MAX_SIZE).orElseThrow(() -> new IllegalArgumentException("cols is required"));
            int rows = body.integer("rows", 1, MAX_SIZE).orElseThrow(() -> new IllegalArgumentException("rows is required"));
            attempt(() -> stream().resize(rows, cols));
        } catch (IllegalArgumentException | ApiException e) {
            protocolError("resize: " + e.getMessage());
        }
    }

    @Override
    List<String> output(ProcessEvent.Output o) {
        return StreamFrames.base64("output", o.data(), false);
    }

    @Override
    String exit(ProcessEvent.Exited x) {
        return Json.write(StreamFrames.node("exit").put("exit_code", x.exitCode()));
    }

    @Override
    void ping() {
        c.socket().offer(StreamFrames.of("ping"));
    }
}
