package dev.wrenn.sdk;

/** Any other HTTP 5xx (or an unexpected status): a server-side failure; quote {@link #requestId()} when reporting it. */
public class WrennServerException extends WrennException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param statusCode the HTTP status
     * @param code the API's error code
     * @param message the server's message
     * @param requestId the server's request id, or null
     */
    public WrennServerException(int statusCode, String code, String message, String requestId) {
        super(statusCode, code, message, requestId, null);
    }
}
