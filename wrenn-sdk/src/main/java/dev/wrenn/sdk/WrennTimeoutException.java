package dev.wrenn.sdk;

/**
 * The call did not complete within its timeout (no response in time, or a capsule did not reach the
 * awaited status in time). {@link #statusCode()} is 0 and {@link #code()} is {@code timeout}. The
 * operation may still complete on the server.
 *
 * @serial exclude
 */
public class WrennTimeoutException extends WrennException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was awaited, for how long, and what was seen instead
     * @param cause the underlying failure, or null
     */
    public WrennTimeoutException(String message, Throwable cause) {
        super(0, "timeout", message, null, cause);
    }
}
