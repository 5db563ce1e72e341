package dev.wrenn.server.hosts;

import dev.wrenn.host.api.HostCapacity;

/**
 * A host agent on another machine as the database knows it: added by an operator, then registered
 * by its agent (address, certificate) and kept fresh by its heartbeats (capacity).
 *
 * @param drain        whether the host is being emptied, and how
 * @param registeredAt null until the agent first registered
 * @param lastSeenAt   the agent's last registration or heartbeat
 * @param unreachableAt when a control plane found the agent silent for too long; null while it is heard from
 */
public record RegisteredHost(String id, String name, String tokenHash, String callKey, Drain drain, String address,
                             String certificatePem, String vmm, String accelerator, HostCapacity capacity, long createdAt,
                             Long registeredAt, Long lastSeenAt, Long unreachableAt) {

    /**
     * Whether a host takes new capsules. PAUSE: none, and its running capsules are paused; MOVE:
     * its paused capsules also move to other hosts, so nothing is left on it.
     */
    public enum Drain { NONE, PAUSE, MOVE }

    public boolean draining() {
        return drain != Drain.NONE;
    }

    /** What operators see: {@code new} (never registered), {@code ready}, {@code draining} or {@code unreachable}. */
    public String status() {
        if (registeredAt == null) return "new";
        if (unreachableAt != null) return "unreachable";
        return draining() ? "draining" : "ready";
    }
}
