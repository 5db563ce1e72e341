package dev.wrenn.sdk;

import java.time.Duration;

/**
 * A transport plus the timeouts its calls get: the client's defaults per kind of call, or one
 * duration for every call when the caller asked for it with {@code withTimeout}.
 */
final class Api {
    private static final Duration SERVER_COMMAND_TIMEOUT = Duration.ofSeconds(30);
    private final Transport transport;
    private final Duration override;

    Api(Transport transport, Duration override) {
        this.transport = transport;
        this.override = override;
    }

    Transport transport() {
        return transport;
    }

    Api withTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be a positive duration, got " + timeout);
        }
        return new Api(transport, timeout);
    }

    /** Reads, deletes, pings, listings, file calls. */
    Duration quick() {
        return override != null ? override : transport.settings().requestTimeout();
    }

    /** Pause, resume, snapshot, a create that waits. */
    Duration longOperation() {
        return override != null ? override : transport.settings().longOperationTimeout();
    }

    /**
     * A foreground command's call: its own limit plus the usual margin for the round trip.
     * {@code commandTimeout} null means the server's default (30 s); zero means none, so no limit here either.
     */
    Duration command(Duration commandTimeout) {
        if (override != null) return override;
        if (commandTimeout == null) return SERVER_COMMAND_TIMEOUT.plus(quick());
        return commandTimeout.isZero() ? null : commandTimeout.plus(quick());
    }
}
