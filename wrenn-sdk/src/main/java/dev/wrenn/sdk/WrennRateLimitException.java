package dev.wrenn.sdk;

import java.time.Duration;

/**
 * HTTP 429: the key's request rate or the team's capsule quota is exceeded.
 *
 * @serial exclude
 */
public class WrennRateLimitException extends WrennException {
    private static final long serialVersionUID = 1L;

    private final Duration retryAfter;

    /**
     * Creates the exception.
     *
     * @param code the API's error code
     * @param message the server's message
     * @param requestId the server's request id, or null
     * @param retryAfter how long the server asked to wait ({@code Retry-After}), or null when it did not say
     */
    public WrennRateLimitException(String code, String message, String requestId, Duration retryAfter) {
        super(429, code, message, requestId, null);
        this.retryAfter = retryAfter;
    }

    /** {@return how long the server asked the client to wait before retrying, or null when it did not say} */
    public Duration retryAfter() {
        return retryAfter;
    }
}
