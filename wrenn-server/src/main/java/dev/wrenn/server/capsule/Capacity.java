package dev.wrenn.server.capsule;

import dev.wrenn.server.ServerConfig;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.store.CapsuleStore;
import java.time.Duration;

/**
 * Admission control: the host's vCPUs (overcommitted by a factor) and memory, and a per-team cap
 * on active capsules. The check and the change that takes the resources happen under one lock,
 * so concurrent creates cannot both take the last slot.
 */
public final class Capacity {
    private static final Duration TEAM_LIMIT_RETRY = Duration.ofSeconds(30);

    private final CapsuleStore store;
    private final String hostId;
    private final long totalVcpus;
    private final long totalMemoryMb;
    private final int teamActiveLimit;

    public Capacity(CapsuleStore store, String hostId, ServerConfig config) {
        this.store = store;
        this.hostId = hostId;
        this.totalVcpus = (long) Math.floor(config.hostVcpus() * config.vcpuOvercommit());
        this.totalMemoryMb = (long) Math.floor(config.hostMemoryMb() * config.memoryOvercommit());
        this.teamActiveLimit = config.teamActiveLimit();
    }

    /** Runs {@code take} (which makes the capsule hold resources) if the host and the team have room. */
    public synchronized <T> T admit(String teamId, int vcpus, int memoryMb, java.util.function.Supplier<T> take) {
        if (teamActiveLimit > 0) {
            int active = store.countActive(teamId);
            if (active >= teamActiveLimit) {
                throw ApiException.rateLimited("the team has " + active + " active capsules, its limit is " + teamActiveLimit
                        + "; pause or destroy one first", TEAM_LIMIT_RETRY);
            }
        }
        long[] used = store.usage(hostId);
        if (used[0] + vcpus > totalVcpus || used[1] + memoryMb > totalMemoryMb) {
            throw new ApiException(ErrorCode.NO_CAPACITY, "no room for " + vcpus + " vCPUs and " + memoryMb + " MiB: "
                    + used[0] + " of " + totalVcpus + " vCPUs and " + used[1] + " of " + totalMemoryMb + " MiB are in use");
        }
        return take.get();
    }

    public long totalVcpus() {
        return totalVcpus;
    }

    public long totalMemoryMb() {
        return totalMemoryMb;
    }
}
