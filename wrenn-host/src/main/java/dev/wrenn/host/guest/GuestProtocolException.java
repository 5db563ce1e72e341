package dev.wrenn.host.guest;

/** The guest sent bytes that break the protocol, or stopped answering in time. */
public class GuestProtocolException extends RuntimeException {
    public GuestProtocolException(String message) {
        super(message);
    }

    public GuestProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
