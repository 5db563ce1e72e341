package dev.wrenn.server.capsule;

/**
 * A team's snapshot template as the database keeps it.
 *
 * @param hostName the template's name on the host (see {@link Templates#hostName})
 */
public record SnapshotRecord(String teamId, String name, String hostName, int vcpus, int memoryMb, long sizeBytes,
                             String sourceCapsuleId, long createdAt) {
}
