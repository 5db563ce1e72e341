package dev.wrenn.server.hosts;

import dev.wrenn.host.api.HostCapacity;

/**
 * A host agent on another machine as the database knows it: added by an operator, then registered
 * by its agent (address, certificate) and kept fresh by its heartbeats (capacity).
 *
 * @param registeredAt null until the agent first registered
 * @param lastSeenAt   the agent's last registration or heartbeat
 * @param unreachableAt when a control plane found the agent silent for too long; null while it is heard from
 */
public record RegisteredHost(String id, String name, String tokenHash, String callKey, boolean draining, String address,
                             String certificatePem, String vmm, String accelerator, HostCapacity capacity, long createdAt,
                             Long registeredAt, Long lastSeenAt, Long unreachableAt) {

    /** What operators see: {@code new} (never registered), {@code ready}, {@code draining} or {@code unreachable}. */
    public String status() {
        if (registeredAt == null) return "new";
        if (unreachableAt != null) return "unreachable";
        return draining ? "draining" : "ready";
    }
}
