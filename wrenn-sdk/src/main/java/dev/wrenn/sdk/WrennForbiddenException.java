package dev.wrenn.sdk;

/** HTTP 403: the operation is not allowed, for example deleting a built-in template. */
public class WrennForbiddenException extends WrennException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param statusCode the HTTP status
     * @param code the API's error code
     * @param message the server's message
     * @param requestId the server's request id, or null
     */
    public WrennForbiddenException(int statusCode, String code, String message, String requestId) {
        super(statusCode, code, message, requestId, null);
    }
}
