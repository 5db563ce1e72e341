package dev.wrenn.sdk;

/** HTTP 503: no host has room for the requested vCPUs and memory (or the server is shutting down). */
public class WrennNoCapacityException extends WrennException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param statusCode the HTTP status
     * @param code the API's error code
     * @param message the server's message
     * @param requestId the server's request id, or null
     */
    public WrennNoCapacityException(int statusCode, String code, String message, String requestId) {
        super(statusCode, code, message, requestId, null);
    }
}
