package dev.wrenn.sdk;

/**
 * The server could not be reached or the connection failed before a response arrived (refused,
 * reset, DNS failure). {@link #statusCode()} is 0 and {@link #code()} is {@code connection_error}.
 *
 * @serial exclude
 */
public class WrennConnectionException extends WrennException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which server could not be reached, and why
     * @param cause the underlying I/O failure
     */
    public WrennConnectionException(String message, Throwable cause) {
        super(0, "connection_error", message, null, cause);
    }
}
