package dev.wrenn.server.capsule;

import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.server.Clock;
import dev.wrenn.server.ServerConfig;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.store.CapsuleStore;
import dev.wrenn.server.store.HostLocks;
import dev.wrenn.server.hosts.Hosts;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongUnaryOperator;
import java.util.function.Supplier;

/**
 * Admission control, by what capsules really use: a create or resume is admitted while the host's
 * free memory, less what the capsules admitted but not yet running will take, stays above the
 * reserve. Idle capsules touch a small part of the memory they may use, so counting their
 * reservations would turn away most of what a host holds. When memory is short, idle capsules with
 * auto-pause are paused to make room ({@link MemoryPressure}); only when that frees too little is the
 * answer 503. A create or resume also needs free disk for the capsule's memory (its RAM is a file)
 * and a reserve beyond it, else 507. Optional limits by reservation (vCPUs and memory_mb summed, overcommitted by a factor)
 * and a per-team cap on active capsules apply on top. Checks and the change that takes the room
 * happen under one lock, and under a lock of the host shared by every control plane on the same
 * PostgreSQL database ({@link HostLocks}), so concurrent creates cannot both take the last of it.
 */
public final class Capacity {
    private static final Duration TEAM_LIMIT_RETRY = Duration.ofSeconds(30);
    private static final Duration NO_ROOM_RETRY = Duration.ofSeconds(10);
    /**
     * Free disk kept beyond a capsule's memory: a guest's RAM is a file on the data disk, and a guest
     * that touches a page its file has no block for while the disk is full loses its VM.
     */
    public static final long DISK_RESERVE_MB = 1024;

    /**
     * How long admission counts on a remote host's capacity as read before, instead of asking the
     * host again: a reading is a call over the wire, 4 to 10 ms on a busy 2-core machine when the
     * connection was idle for seconds (RemoteHostApiBenchmark), and creates are admitted one at a
     * time. Capsules that started since the reading count as taking memory, and a refusal is only
     * ever made on a fresh reading, so what the reuse can miss is what running guests touched since.
     */
    static final Duration REMOTE_READING_REUSED_FOR = Duration.ofSeconds(5);

    /**
     * A host's capacity as read, and from when (epoch ms) capsules that started running are not in it:
     * when it was read, {@code Long.MAX_VALUE} for one read now. Started times come from the control
     * plane that started each capsule, so clocks of several control planes are assumed close.
     */
    private record Reading(HostCapacity capacity, long unseenSince) {}

    private final Map<String, Reading> readings = new HashMap<>();   // guarded by this
    private final CapsuleStore store;
    private final Hosts hosts;
    private final HostLocks locks;
    private final long reserveMb;
    private final long totalVcpus;
    private final long totalMemoryMb;
    private final int teamActiveLimit;
    private volatile LongUnaryOperator roomMaker = mb -> 0;

    public Capacity(CapsuleStore store, Hosts hosts, HostLocks locks, ServerConfig config) {
        this.store = store;
        this.hosts = hosts;
        this.locks = locks;
        this.reserveMb = config.memoryReserveMb();
        this.totalVcpus = (long) Math.floor(config.hostVcpus() * config.vcpuOvercommit());
        this.totalMemoryMb = (long) Math.floor(config.hostMemoryMb() * config.memoryOvercommit());
        this.teamActiveLimit = config.teamActiveLimit();
    }

    /** What frees memory on the embedded host when it is short: given MiB wanted, pauses capsules and answers the MiB it freed. */
    public void makeRoomWith(LongUnaryOperator roomMaker) {
        this.roomMaker = roomMaker;
    }

    /**
     * Admits a new capsule on the first of {@code candidates} that has room for it: those in
     * {@code preferred} (holding its template) first, each group least loaded first (the memory its
     * capsules may use, as a share of the host's). A host's free memory decides only whether it
     * admits the capsule: it moves slowly (idle guests touch little), so a burst of creates ordered by
     * it would all go to one host. Runs {@code take} with that host's id. Creates are placed one at a
     * time, so each sees the capsules placed before it. The team's limit fails at once; a host without room,
     * unreachable or failing passes the capsule on to the next, and the last one's refusal is the answer.
     */
    public synchronized <T> T place(String teamId, List<String> candidates, Set<String> preferred, int vcpus, int memoryMb,
                       Function<String, T> take) {
        if (candidates.isEmpty()) {
            throw ApiException.noCapacity("no host takes new capsules now (none is reachable and not draining)", NO_ROOM_RETRY);
        }
        List<String> ordered = candidates;
        if (candidates.size() > 1) {
            // each host's load read once, not at every comparison of the sort
            Map<String, Double> load = new HashMap<>();
            candidates.forEach(id -> load.put(id, load(id)));
            ordered = candidates.stream().sorted(Comparator.comparing((String id) -> !preferred.contains(id))
                    .thenComparingDouble(load::get)).toList();
        }
        ApiException refused = null;
        for (String hostId : ordered) {
            try {
                return admit(teamId, hostId, vcpus, memoryMb, () -> take.apply(hostId));
            } catch (ApiException e) {
                if (e.code() != ErrorCode.NO_CAPACITY && e.code() != ErrorCode.INSUFFICIENT_STORAGE
                        && e.code() != ErrorCode.HOST_UNAVAILABLE && e.code() != ErrorCode.AGENT_ERROR) {
                    throw e;
                }
                refused = e;
            }
        }
        throw refused;
    }

    /** The memory the host's active and arriving capsules may use, as a share of its memory; unreachable ones last. */
    private double load(String hostId) {
        return hosts.lastCapacity(hostId).map(h -> (double) store.usage(hostId)[1] / Math.max(1, h.memoryTotalMb()))
                .orElse(Double.MAX_VALUE);
    }

    /** The one of {@code hostIds} with the most free memory (where a moved capsule resumes best). */
    public String mostRoom(List<String> hostIds) {
        return hostIds.stream().max(Comparator.comparingLong(this::spareMb)).orElseThrow();
    }

    /** Free memory beyond the reserve and the capsules on their way, by the host's last report; unreachable ones last. */
    private long spareMb(String hostId) {
        return hosts.lastCapacity(hostId).map(h -> h.memoryFreeMb() - reserveMb - store.countArriving(hostId) * h.vmMemoryMb())
                .orElse(Long.MIN_VALUE);
    }

    /** Runs {@code take} (which makes the capsule hold resources) if the host and the team have room. */
    public synchronized <T> T admit(String teamId, String hostId, int vcpus, int memoryMb, Supplier<T> take) {
        Host host = hosts.of(hostId);
        return locks.holding(hostId, () -> admitHeld(teamId, hostId, host, vcpus, memoryMb, take));
    }

    private <T> T admitHeld(String teamId, String hostId, Host host, int vcpus, int memoryMb, Supplier<T> take) {
        if (teamActiveLimit > 0) {
            int active = store.countActive(teamId);
            if (active >= teamActiveLimit) {
                throw ApiException.rateLimited("the team has " + active + " active capsules, its limit is " + teamActiveLimit
                        + "; pause or destroy one first", TEAM_LIMIT_RETRY);
            }
        }
        if (totalVcpus > 0 || totalMemoryMb > 0) {
            long[] used = store.usage(hostId);
            if ((totalVcpus > 0 && used[0] + vcpus > totalVcpus) || (totalMemoryMb > 0 && used[1] + memoryMb > totalMemoryMb)) {
                throw new ApiException(ErrorCode.NO_CAPACITY, "no room for " + vcpus + " vCPUs and " + memoryMb + " MiB: "
                        + used[0] + " of " + limit(totalVcpus) + " vCPUs and " + used[1] + " of " + limit(totalMemoryMb)
                        + " MiB are reserved by capsules");
            }
        }
        Reading reading = readingOf(hostId, host);
        long shortMb = shortMb(hostId, reading);
        if (reading.unseenSince() != Long.MAX_VALUE && (shortMb > 0 || diskShort(reading.capacity(), memoryMb))) {
            reading = fresh(hostId, host);   // a refusal is made only on what the host says now
            shortMb = shortMb(hostId, reading);
        }
        HostCapacity h = reading.capacity();
        if (diskShort(h, memoryMb)) {
            throw new ApiException(ErrorCode.INSUFFICIENT_STORAGE, "the host's disk is short of space: " + h.diskFreeMb()
                    + " MiB free; a capsule of " + memoryMb + " MiB may need as much for its memory, and " + DISK_RESERVE_MB
                    + " MiB are kept for pauses and snapshots; free space on the host, destroy capsules or delete templates");
        }
        if (shortMb > 0 && hosts.isLocal(hostId)) shortMb -= roomMaker.applyAsLong(shortMb);
        if (shortMb > 0) {
            HostCapacity now = capacityOf(hostId, host);
            throw ApiException.noCapacity("the host is short of memory: " + now.memoryFreeMb() + " MiB free, "
                    + reserveMb + " MiB kept in reserve, a capsule takes about " + now.vmMemoryMb()
                    + " MiB and no idle capsule with auto-pause is left to pause; pause or destroy capsules, or retry later",
                    NO_ROOM_RETRY);
        }
        return take.get();
    }

    /**
     * The host's capacity: the embedded host's read now, a remote host's as read within
     * {@link #REMOTE_READING_REUSED_FOR}.
     */
    private Reading readingOf(String hostId, Host host) {
        Reading r = readings.get(hostId);
        if (hosts.isLocal(hostId) || r == null || Clock.millis() - r.unseenSince() > REMOTE_READING_REUSED_FOR.toMillis()) {
            return fresh(hostId, host);
        }
        return r;
    }

    /** A reading taken now; a remote host's is kept for the admissions that follow. */
    private Reading fresh(String hostId, Host host) {
        long at = Clock.millis();
        HostCapacity h = capacityOf(hostId, host);
        if (!hosts.isLocal(hostId)) readings.put(hostId, new Reading(h, at));
        return new Reading(h, Long.MAX_VALUE);
    }

    private static boolean diskShort(HostCapacity h, int memoryMb) {
        return h.diskFreeMb() < memoryMb + DISK_RESERVE_MB;
    }

    /** The host's capacity now; a host that cannot tell is unavailable (503), which placement passes over. */
    private static HostCapacity capacityOf(String hostId, Host host) {
        try {
            return host.capacity();
        } catch (RuntimeException e) {
            throw HostErrors.map(e, "reading the capacity of host " + hostId);
        }
    }

    /** MiB missing for one more capsule beside those admitted and still on their way (0 when it fits). */
    private long shortMb(String hostId, Reading r) {
        HostCapacity h = r.capacity();
        long arriving = store.countArriving(hostId, r.unseenSince());
        return Math.max(0, (arriving + 1) * h.vmMemoryMb() + reserveMb - h.memoryFreeMb());
    }

    /** How many more capsules of the average size fit now, beside those on their way (for health and metrics). */
    public long room(String hostId, HostCapacity h) {
        long spare = h.memoryFreeMb() - reserveMb - store.countArriving(hostId) * h.vmMemoryMb();
        return Math.max(0, spare / Math.max(1, h.vmMemoryMb()));
    }

    public long reserveMb() {
        return reserveMb;
    }

    private static String limit(long total) {
        return total > 0 ? Long.toString(total) : "unlimited";
    }
}
