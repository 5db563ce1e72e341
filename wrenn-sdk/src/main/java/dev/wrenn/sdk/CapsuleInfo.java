package dev.wrenn.sdk;

import java.time.Instant;
import java.util.Map;

/**
 * A capsule as the API describes it at one moment.
 *
 * @param id the capsule id, {@code cl-} and 25 characters
 * @param status the lifecycle status
 * @param template the template it was created from
 * @param vcpus virtual CPUs
 * @param memoryMb memory in MiB
 * @param timeoutSec inactivity seconds before auto-pause; 0 = never
 * @param createdAt when it was created
 * @param lastUpdated when its status last changed
 * @param startedAt when it last reached running; null until it has
 * @param lastActiveAt its last exec, ping or file activity; null until there is one
 * @param statusReason why it is in its status when the user did not choose it
 *                     (e.g. {@code inactivity_timeout}, {@code vm_exited}); null otherwise
 * @param metadata the string pairs given at create; empty when none
 * @param network what it may reach; {@link NetworkPolicy#defaults()} from servers without networking
 * @param portAccess who may reach its ports through the port proxy
 * @param trafficToken the token requests to its ports carry when {@code portAccess} is {@link PortAccess#TOKEN}; null otherwise
 * @param autoResume whether a request to one of its ports resumes it when it is paused
 */
public record CapsuleInfo(String id, CapsuleStatus status, String template, int vcpus, int memoryMb, int timeoutSec,
                          Instant createdAt, Instant lastUpdated, Instant startedAt, Instant lastActiveAt,
                          String statusReason, Map<String, String> metadata, NetworkPolicy network, PortAccess portAccess,
                          String trafficToken, boolean autoResume) {
    /** Copies {@code metadata}, so the record stays immutable. */
    public CapsuleInfo {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }
}
