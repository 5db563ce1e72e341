package dev.wrenn.sdk;

/** HTTP 401: the API key is missing, unknown or revoked. */
public class WrennAuthenticationException extends WrennException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param statusCode the HTTP status
     * @param code the API's error code
     * @param message the server's message
     * @param requestId the server's request id, or null
     */
    public WrennAuthenticationException(int statusCode, String code, String message, String requestId) {
        super(statusCode, code, message, requestId, null);
    }
}
