package dev.wrenn.host.api;

import java.util.Objects;

/**
 * A capsule as its host sees it.
 *
 * @param exitCause  why an {@link Phase#EXITED} capsule's VM is gone (null otherwise)
 * @param exitDetail what the host knows of it, for logs (null otherwise)
 */
public record CapsuleState(String id, String template, Phase phase, int vcpus, int memoryMb, ExitCause exitCause,
                           String exitDetail) {
    public CapsuleState {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(phase, "phase");
    }
}
