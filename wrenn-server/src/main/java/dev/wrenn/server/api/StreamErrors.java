package dev.wrenn.server.api;

import dev.wrenn.host.api.HostException;
import dev.wrenn.server.capsule.HostErrors;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;

/**
 * What a stream's client is told in an error frame: the API's error code (plus
 * {@code capsule_paused} and {@code vm_exited}, which end streams only) and a message.
 */
record StreamErrors(String code, String message) {
    static final String CAPSULE_PAUSED = "capsule_paused";
    static final String VM_EXITED = "vm_exited";

    static StreamErrors of(HostException e) {
        return switch (e.error()) {
            case CAPSULE_PAUSED -> new StreamErrors(CAPSULE_PAUSED, "capsule paused");
            case VM_EXITED -> new StreamErrors(VM_EXITED, "the capsule's VM exited");
            default -> of(HostErrors.map(e, "the stream"));
        };
    }

    static StreamErrors of(ApiException e) {
        return new StreamErrors(e.code().code(), e.getMessage());
    }

    static StreamErrors of(ErrorCode code, String message) {
        return new StreamErrors(code.code(), message);
    }

    /** The error frame: {@code {"type":"error","code":…,"data":…,"fatal":true}} ({@code fatal} only when it ends the socket). */
    String frame(boolean fatal) {
        var o = StreamFrames.node("error").put("code", code).put("data", message);
        if (fatal) o.put("fatal", true);
        return dev.wrenn.server.Json.write(o);
    }
}
