package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessStream;
import dev.wrenn.server.api.StreamHandlers.Connection;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one stream socket serves once its caller is known: the client's frames in, the process's
 * events out. The output is pumped by a thread of its own that pulls from the process stream only
 * as fast as the socket takes the frames, so a client that stops reading stops the process.
 */
abstract class StreamSession {
    private static final Logger log = LoggerFactory.getLogger(StreamSession.class);

    protected final Connection c;
    private OutputFramer framer = new OutputFramer(false);
    private volatile ProcessStream stream;
    private volatile boolean closed;

    StreamSession(Connection c) {
        this.c = c;
    }

    /** The caller is known; sessions that need no first frame start here. */
    void opened() {
    }

    /** A client frame with its type; the first is the start frame of sessions that need one. */
    abstract void frame(String type, ObjectNode frame);

    /** How output becomes frames (text by default; set before the stream is served). */
    void framer(OutputFramer f) {
        this.framer = f;
    }

    /** The frames of one output event (stdout, stderr, replayed output). */
    List<String> output(ProcessEvent.Output o) {
        return framer.frames(o, OutputFramer.typeOf(o.source()));
    }

    /** The frame that reports the process's end. */
    String exit(ProcessEvent.Exited x) {
        return StreamFrames.exit(x);
    }

    /** Keeps the socket from idling out while the process is silent (a WebSocket ping; clients answer it themselves). */
    void ping() {
        c.socket().ping();
    }

    /** A client frame that is wrong: reported, and the end of the socket if the start frame was awaited. */
    void protocolError(String message) {
        StreamErrors error = StreamErrors.of(ErrorCode.INVALID_REQUEST, message);
        if (awaitsStart()) {
            fatal(error);
            closed();
        } else {
            send(error.frame(false));
        }
    }

    /** Whether the client's first frame is still to come (the socket ends if it is not right). */
    boolean awaitsStart() {
        return stream == null;
    }

    ProcessStream stream() {
        return stream;
    }

    /** Starts pumping {@code s}'s output to the socket (once {@code first} frames are sent). */
    void serve(ProcessStream s, String... first) {
        stream = s;
        if (closed) {
            s.close();
            return;
        }
        for (String f : first) send(f);
        log.atInfo().addKeyValue("capsule", c.capsuleId()).addKeyValue("stream", c.endpoint()).addKeyValue("pid", s.pid())
                .addKeyValue("tag", s.tag()).log("stream opened");
        Thread.ofVirtual().name("stream-" + c.capsuleId() + "-" + s.pid()).start(this::pump);
    }

    private void pump() {
        ProcessStream s = stream;
        String end = "the client went away";
        try {
            while (true) {
                ProcessEvent e = s.next();
                if (e instanceof ProcessEvent.Output o) {
                    for (String f : output(o)) c.socket().send(f);
                } else if (e instanceof ProcessEvent.Exited x) {
                    for (String f : flush()) c.socket().send(f);
                    c.socket().send(exit(x));
                    c.socket().close(StreamSocket.NORMAL, "exited", null);
                    end = "the process exited with " + x.exitCode();
                    return;
                }
            }
        } catch (StreamSocket.Gone gone) {
            log.atDebug().addKeyValue("capsule", c.capsuleId()).log("stream socket gone: {}", gone.getMessage());
        } catch (HostException e) {
            if (!closed) {
                StreamErrors error = StreamErrors.of(e);
                fatal(error);
                end = error.code();
            }
        } catch (RuntimeException e) {
            log.atError().addKeyValue("capsule", c.capsuleId()).setCause(e).log("stream failed");
            fatal(StreamErrors.of(ErrorCode.INTERNAL_ERROR, "internal error: " + e));
            end = "internal error";
        } finally {
            closed();
            log.atInfo().addKeyValue("capsule", c.capsuleId()).addKeyValue("stream", c.endpoint()).addKeyValue("pid", s.pid())
                    .addKeyValue("end", end).log("stream closed");
        }
    }

    /** Output held back until the end (an unfinished character). */
    List<String> flush() {
        return framer.flush();
    }

    void fatal(StreamErrors error) {
        c.socket().close(StreamSocket.SERVER_ERROR, "error", error.frame(true));
    }

    void send(String frame) {
        try {
            c.socket().send(frame);
        } catch (StreamSocket.Gone e) {
            closed();
        }
    }

    /** The socket is gone or the stream ended: the process stream is closed (which detaches, or kills an owned process). */
    void closed() {
        closed = true;
        ProcessStream s = stream;
        if (s != null) s.close();
    }

    // ---- helpers for the sessions -----------------------------------------------------------------

    /** Runs a step that talks to the capsule; a refusal is reported as a fatal error frame and ends the socket. */
    boolean attempt(Runnable step) {
        try {
            step.run();
            return true;
        } catch (ApiException e) {
            fatal(StreamErrors.of(e));
        } catch (HostException e) {
            fatal(StreamErrors.of(e));
        }
        closed();
        return false;
    }

    /** Kills the process's group; one that already ended is not an error (its exit frame follows). */
    void kill() {
        try {
            c.guest().kill(c.caller().teamId(), c.capsuleId(), Integer.toString(stream().pid()), 9);
        } catch (ApiException e) {
            protocolError(e.getMessage());
        }
    }

    /** The base64 {@code data} of an input frame; a frame without it is a protocol error (null). */
    byte[] data(ObjectNode frame) {
        if (!frame.path("data").isTextual()) {
            protocolError("a " + frame.get("type").asText() + " frame needs base64 \"data\"");
            return null;
        }
        try {
            return Base64.getDecoder().decode(frame.get("data").asText());
        } catch (IllegalArgumentException e) {
            protocolError("\"data\" is not base64: " + e.getMessage());
            return null;
        }
    }
}
