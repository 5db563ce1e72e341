package dev.wrenn.server.capsule;

import java.util.Map;
import java.util.Objects;

/**
 * A capsule as the database keeps it: the truth about its status. Times are epoch milliseconds.
 *
 * @param hostId       the host agent that has the capsule's VM or pause files
 * @param hostTemplate the template's name on the host (a team's snapshot templates are renamed there)
 * @param network      what it may reach and how its ports are reached (api.md §8, §9)
 * @param operation    the operation in flight, or null
 */
public record CapsuleRecord(String id, String teamId, String hostId, CapsuleStatus status, String statusReason, String template,
                            String hostTemplate, int vcpus, int memoryMb, int timeoutSec, Map<String, String> metadata,
                            CapsuleNetwork network, long createdAt, long lastUpdated, Long startedAt, Long lastActiveAt,
                            Operation operation, Long operationStartedAt) {
    public CapsuleRecord {
        metadata = Map.copyOf(metadata);
        Objects.requireNonNull(network, "network");
    }

    /** The same capsule as shown with another status_reason. */
    public CapsuleRecord withStatusReason(String reason) {
        return new CapsuleRecord(id, teamId, hostId, status, reason, template, hostTemplate, vcpus, memoryMb, timeoutSec,
                metadata, network, createdAt, lastUpdated, startedAt, lastActiveAt, operation, operationStartedAt);
    }
}
