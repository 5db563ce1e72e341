package dev.wrenn.server.api;

import dev.wrenn.host.api.HostException;

/** What a stream's client is told when the host ends its stream (the {@code data} of a fatal error frame). */
final class StreamErrors {
    private StreamErrors() {}

    static String message(HostException e) {
        return switch (e.error()) {
            case CAPSULE_PAUSED -> "capsule paused";
            case VM_EXITED -> "the capsule's VM exited";
            case STREAM_CLOSED -> "stream closed";
            default -> e.getMessage();
        };
    }
}
