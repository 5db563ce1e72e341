package dev.wrenn.host;

import dev.wrenn.host.storage.CapsuleMeta;

/** A capsule as the host agent sees it. {@code vmmPid} is 0 when no VMM runs. */
public record CapsuleInfo(String id, String template, CapsuleMeta.Phase phase, int vcpus, int memoryMb, long vmmPid,
                          String exitReason) {
}
