package dev.wrenn.server.error;

import java.time.Duration;

/**
 * A request failed in a way the API documents: it carries the code the client sees and a message
 * that names the offending value. Anything else that escapes a handler is a bug (500).
 */
public class ApiException extends RuntimeException {
    private final ErrorCode code;
    private final Duration retryAfter;

    public ApiException(ErrorCode code, String message) {
        this(code, message, null, null);
    }

    public ApiException(ErrorCode code, String message, Throwable cause) {
        this(code, message, null, cause);
    }

    private ApiException(ErrorCode code, String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.retryAfter = retryAfter;
    }

    public static ApiException invalid(String message) {
        return new ApiException(ErrorCode.INVALID_REQUEST, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(ErrorCode.NOT_FOUND, message);
    }

    public static ApiException invalidState(String message) {
        return new ApiException(ErrorCode.INVALID_STATE, message);
    }

    public static ApiException agent(String message, Throwable cause) {
        return new ApiException(ErrorCode.AGENT_ERROR, message, cause);
    }

    /** 429 with the number of seconds after which a retry may succeed. */
    public static ApiException rateLimited(String message, Duration retryAfter) {
        return new ApiException(ErrorCode.RATE_LIMITED, message, retryAfter, null);
    }

    public ErrorCode code() {
        return code;
    }

    /** 503: the host has no room now; a retry after {@code retryAfter} may find some. */
    public static ApiException noCapacity(String message, Duration retryAfter) {
        return new ApiException(ErrorCode.NO_CAPACITY, message, retryAfter, null);
    }

    /** 503: something the server needs (its database) cannot be reached now; a retry after {@code retryAfter} may succeed. */
    public static ApiException unavailable(String message, Duration retryAfter, Throwable cause) {
        return new ApiException(ErrorCode.UNAVAILABLE, message, retryAfter, cause);
    }

    /** 503: the capsule's host cannot be reached now; its capsules come back with it. */
    public static ApiException hostUnavailable(String message, Throwable cause) {
        return new ApiException(ErrorCode.HOST_UNAVAILABLE, message, Duration.ofSeconds(5), cause);
    }

    /** Null unless the client should wait before retrying. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
