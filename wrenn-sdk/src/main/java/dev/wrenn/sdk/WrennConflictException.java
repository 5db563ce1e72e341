package dev.wrenn.sdk;

/** HTTP 409: the capsule's status does not allow the operation, another operation is in flight, or a name or path is taken. */
public class WrennConflictException extends WrennException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param statusCode the HTTP status
     * @param code the API's error code
     * @param message the server's message
     * @param requestId the server's request id, or null
     */
    public WrennConflictException(int statusCode, String code, String message, String requestId) {
        super(statusCode, code, message, requestId, null);
    }
}
