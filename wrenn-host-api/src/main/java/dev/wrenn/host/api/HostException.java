package dev.wrenn.host.api;

import java.util.Objects;

/** A failure across the host boundary: its {@link HostError} says what kind, the message says what exactly. */
public class HostException extends RuntimeException {
    private final HostError error;

    public HostException(HostError error, String message) {
        this(error, message, null);
    }

    public HostException(HostError error, String message, Throwable cause) {
        super(message, cause);
        this.error = Objects.requireNonNull(error, "error");
    }

    public HostError error() {
        return error;
    }
}
