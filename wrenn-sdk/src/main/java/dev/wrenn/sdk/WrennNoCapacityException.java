package dev.wrenn.sdk;

import java.time.Duration;

/**
 * HTTP 503: the host is short of memory for another capsule (or the server is shutting down).
 *
 * @serial exclude
 */
public class WrennNoCapacityException extends WrennException {
    private static final long serialVersionUID = 1L;

    private final Duration retryAfter;

    /**
     * Creates the exception.
     *
     * @param statusCode the HTTP status
     * @param code the API's error code
     * @param message the server's message
     * @param requestId the server's request id, or null
     * @param retryAfter how long the server asked to wait ({@code Retry-After}), or null when it did not say
     */
    public WrennNoCapacityException(int statusCode, String code, String message, String requestId, Duration retryAfter) {
        super(statusCode, code, message, requestId, null);
        this.retryAfter = retryAfter;
    }

    /** {@return how long the server asked the client to wait before retrying, or null when it did not say} */
    public Duration retryAfter() {
        return retryAfter;
    }
}
