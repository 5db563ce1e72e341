package dev.wrenn.sdk;

/** HTTP 400: the request was refused as invalid (a bad field, id or value); the message names it. */
public class WrennValidationException extends WrennException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param statusCode the HTTP status
     * @param code the API's error code
     * @param message the server's message
     * @param requestId the server's request id, or null
     */
    public WrennValidationException(int statusCode, String code, String message, String requestId) {
        super(statusCode, code, message, requestId, null);
    }
}
