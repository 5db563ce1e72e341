package dev.wrenn.sdk;

import java.time.Instant;

/**
 * A template new capsules can be created from: a built-in base template or a snapshot of a capsule.
 *
 * @param name the name to pass as {@link CreateCapsuleParams.Builder#template(String)}
 * @param type {@code base} or {@code snapshot}
 * @param vcpus virtual CPUs of capsules created from it
 * @param memoryMb memory in MiB of capsules created from it
 * @param sizeBytes bytes it takes on disk
 * @param createdAt when it was made
 * @param sourceCapsuleId the capsule it was snapshotted from; null for base templates
 * @param builtIn true for the installation's built-in templates, which cannot be deleted
 */
public record Template(String name, String type, int vcpus, int memoryMb, long sizeBytes, Instant createdAt,
                       String sourceCapsuleId, boolean builtIn) {}
