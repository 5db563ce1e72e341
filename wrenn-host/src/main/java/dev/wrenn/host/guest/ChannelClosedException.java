package dev.wrenn.host.guest;

import dev.wrenn.host.api.HostError;

/**
 * The channel (or one stream of it) ended under a waiting call. {@link #reason} says why: the
 * capsule was paused, its VM exited, the guest broke the connection, the caller closed the stream.
 */
public final class ChannelClosedException extends GuestProtocolException {
    private final HostError reason;

    public ChannelClosedException(HostError reason, String message) {
        super(message);
        this.reason = reason;
    }

    public HostError reason() {
        return reason;
    }
}
