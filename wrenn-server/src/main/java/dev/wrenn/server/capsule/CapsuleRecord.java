package dev.wrenn.server.capsule;

import java.util.Map;

/**
 * A capsule as the database keeps it: the truth about its status. Times are epoch milliseconds.
 *
 * @param hostId       the host agent that has the capsule's VM or pause files
 * @param hostTemplate the template's name on the host (a team's snapshot templates are renamed there)
 * @param operation    the operation in flight, or null
 */
public record CapsuleRecord(String id, String teamId, String hostId, CapsuleStatus status, String statusReason, String template,
                            String hostTemplate, int vcpus, int memoryMb, int timeoutSec, Map<String, String> metadata,
                            long createdAt, long lastUpdated, Long startedAt, Long lastActiveAt, Operation operation,
                            Long operationStartedAt) {
    public CapsuleRecord {
        metadata = Map.copyOf(metadata);
    }
}
