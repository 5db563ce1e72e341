package dev.wrenn.host.grpc;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link HostException}s across the wire: the agent ends a failed call with a status whose trailer
 * names the {@link HostError}, and the control plane raises the same error from it. A status
 * without that trailer did not come from the host's code: the transport failed.
 */
final class WireErrors {
    private static final Logger log = LoggerFactory.getLogger(WireErrors.class);
    static final Metadata.Key<String> HOST_ERROR = Metadata.Key.of("wrenn-host-error", Metadata.ASCII_STRING_MARSHALLER);

    private WireErrors() {}

    /** What the agent answers for a failure of a call it served. */
    static StatusRuntimeException toStatus(Throwable failure) {
        HostException e = switch (failure) {
            case HostException h -> h;
            case IllegalArgumentException bad -> new HostException(HostError.INVALID_ARGUMENT, bad.getMessage(), bad);
            default -> {
                log.atError().setCause(failure).log("host call failed unexpectedly");
                yield new HostException(HostError.HOST_FAILURE, String.valueOf(failure), failure);
            }
        };
        Metadata trailers = new Metadata();
        trailers.put(HOST_ERROR, e.error().name());
        return code(e.error()).withDescription(e.getMessage()).asRuntimeException(trailers);
    }

    /** What the control plane raises for a failed call. */
    static HostException fromStatus(Throwable failure, String host) {
        Status status = Status.fromThrowable(failure);
        Metadata trailers = Status.trailersFromThrowable(failure);
        String named = trailers == null ? null : trailers.get(HOST_ERROR);
        if (named != null) {
            HostError error;
            try {
                error = HostError.valueOf(named);
            } catch (IllegalArgumentException unknown) {
                error = HostError.HOST_FAILURE;   // a newer agent's error: still a failure of the host
            }
            return new HostException(error, status.getDescription() == null ? named : status.getDescription(), failure);
        }
        String why = status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
        return switch (status.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED -> new HostException(HostError.HOST_UNREACHABLE,
                    "host " + host + " is unreachable (" + why + ")", failure);
            case UNAUTHENTICATED -> new HostException(HostError.HOST_FAILURE,
                    "host " + host + " refused this control plane's credential (" + why + ")", failure);
            case CANCELLED -> new HostException(HostError.STREAM_CLOSED, "the call to host " + host + " was cancelled", failure);
            default -> new HostException(HostError.HOST_FAILURE, "host " + host + " failed the call (" + why + ")", failure);
        };
    }

    private static Status code(HostError error) {
        return switch (error) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case ALREADY_EXISTS, NAME_TAKEN -> Status.ALREADY_EXISTS;
            case INVALID_STATE, NAME_RESERVED, BUILT_IN -> Status.FAILED_PRECONDITION;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case DISK_FULL, GUEST_BUSY -> Status.RESOURCE_EXHAUSTED;
            case CAPSULE_PAUSED, VM_EXITED -> Status.ABORTED;
            case STREAM_CLOSED -> Status.CANCELLED;
            case CONNECTION_REFUSED -> Status.UNAVAILABLE;
            case TIMEOUT -> Status.DEADLINE_EXCEEDED;
            case AGENT_FAILURE, HOST_FAILURE -> Status.INTERNAL;
            case HOST_UNREACHABLE -> Status.UNAVAILABLE;
        };
    }
}
