package dev.wrenn.server.capsule;

/**
 * A team's snapshot template as the database keeps it.
 *
 * @param hostName the template's name on the host (see {@link Templates#hostName})
 * @param hostId   the host holding it; null for templates saved before hosts were recorded (the embedded host's)
 */
public record SnapshotRecord(String teamId, String name, String hostName, int vcpus, int memoryMb, long sizeBytes,
                             String sourceCapsuleId, long createdAt, String hostId) {
}
