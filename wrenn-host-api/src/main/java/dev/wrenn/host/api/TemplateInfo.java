package dev.wrenn.host.api;

import java.time.Instant;

/**
 * A template on a host: a built-in one booted from its image, or a capsule saved as a snapshot.
 *
 * @param sourceCapsuleId the capsule a snapshot template was saved from (null for built-in ones)
 */
public record TemplateInfo(String name, boolean builtIn, int vcpus, int memoryMb, long sizeBytes, Instant createdAt,
                           String sourceCapsuleId) {
}
