package dev.wrenn.sdk;

/**
 * Base of every error the SDK throws. Unchecked: a failed call is an exception the caller may catch
 * by kind (one subclass per HTTP status family, plus transport failures), or let propagate.
 *
 * <p>The message is the server's, which names the offending value; {@link #code()} is the stable
 * error code of the API contract (for example {@code invalid_state}), suitable for programmatic checks.
 *
 * @serial exclude
 */
public class WrennException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int statusCode;
    private final String code;
    private final String requestId;

    /**
     * Creates the exception.
     *
     * @param statusCode the HTTP status, or 0 when no response was received
     * @param code the API's error code, e.g. {@code not_found}; never null
     * @param message what went wrong
     * @param requestId the server's {@code X-Request-Id} of the failed request, or null
     * @param cause the underlying failure, or null
     */
    public WrennException(int statusCode, String code, String message, String requestId, Throwable cause) {
        super(message, cause);
        this.statusCode = statusCode;
        this.code = code;
        this.requestId = requestId;
    }

    /** {@return the HTTP status of the failed response, or 0 when none was received (timeout, connection failure)} */
    public int statusCode() {
        return statusCode;
    }

    /** {@return the API's stable error code, e.g. {@code invalid_state}, {@code not_found}, {@code timeout}} */
    public String code() {
        return code;
    }

    /** {@return the server's request id ({@code X-Request-Id}) to quote when reporting a problem, or null} */
    public String requestId() {
        return requestId;
    }
}
