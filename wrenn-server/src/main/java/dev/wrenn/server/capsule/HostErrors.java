package dev.wrenn.server.capsule;

import dev.wrenn.host.api.HostException;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import java.time.Duration;

/** Turns the host's typed failures into the API's errors: one row per {@link dev.wrenn.host.api.HostError}. */
public final class HostErrors {
    private HostErrors() {}

    /** {@code what} says what was being done ("writing /root/x"), for the message. */
    public static ApiException map(RuntimeException e, String what) {
        if (e instanceof ApiException api) return api;
        if (!(e instanceof HostException h)) return ApiException.agent(what + " failed: " + e, e);
        String msg = what + ": " + h.getMessage();
        return switch (h.error()) {
            case NOT_FOUND -> ApiException.notFound(msg);
            case INVALID_STATE, CAPSULE_PAUSED, STREAM_CLOSED -> ApiException.invalidState(msg);
            case INVALID_ARGUMENT -> ApiException.invalid(msg);
            case ALREADY_EXISTS -> new ApiException(ErrorCode.CONFLICT, msg, h);
            case NAME_TAKEN -> new ApiException(ErrorCode.TEMPLATE_NAME_TAKEN, msg, h);
            case NAME_RESERVED -> new ApiException(ErrorCode.NAME_RESERVED, msg, h);
            case BUILT_IN, PERMISSION_DENIED -> new ApiException(ErrorCode.FORBIDDEN, msg, h);
            case DISK_FULL -> new ApiException(ErrorCode.INSUFFICIENT_STORAGE, msg, h);
            case GUEST_BUSY -> ApiException.rateLimited(msg + " (too many concurrent requests in the capsule)",
                    Duration.ofSeconds(1));
            case VM_EXITED, AGENT_FAILURE, TIMEOUT, HOST_FAILURE, CONNECTION_REFUSED -> ApiException.agent(msg, h);
            case HOST_UNREACHABLE -> ApiException.hostUnavailable(msg, h);
        };
    }
}
