package dev.wrenn.server.store;

import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.server.Json;
import dev.wrenn.server.PolicyJson;
import dev.wrenn.server.capsule.CapsuleNetwork;
import dev.wrenn.server.capsule.CapsuleRecord;
import dev.wrenn.server.capsule.CapsuleStatus;
import dev.wrenn.server.capsule.Operation;
import dev.wrenn.server.capsule.PortAccess;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The SQL of capsule records. Every status change is one conditional UPDATE, so two control-plane
 * threads (or processes) can never both move one capsule: the loser sees zero rows changed.
 */
public final class CapsuleStore {
    private static final String COLUMNS = "id, team_id, host_id, status, status_reason, template, host_template, vcpus, memory_mb, "
            + "timeout_sec, metadata, network, port_access, traffic_token, auto_resume, created_at, last_updated, started_at, "
            + "last_active_at, operation, operation_started_at";

    /** What ends an operation: its slot and who ran it cleared. */
    private static final String NO_OPERATION = "operation = NULL, operation_started_at = NULL, operation_owner = NULL";

    private final Sql sql;
    private final RecordCache<CapsuleRecord> cache;
    private final String owner;

    /**
     * @param soleWriter this process is the only one that writes capsule rows (embedded SQLite):
     *                   reads of one capsule are then served from memory until it changes
     * @param owner      this control plane's id, recorded with each operation it takes
     */
    public CapsuleStore(DataSource ds, boolean soleWriter, String owner) {
        this.sql = new Sql(ds);
        this.cache = soleWriter ? new RecordCache<>() : null;
        this.owner = owner;
    }

    public void insert(CapsuleRecord c) {
        CapsuleNetwork n = c.network();
        sql.update("INSERT INTO capsules (" + COLUMNS + ", operation_owner) VALUES (" + Sql.placeholders(22) + ")",
                c.id(), c.teamId(), c.hostId(), c.status().wire(), c.statusReason(), c.template(), c.hostTemplate(), c.vcpus(),
                c.memoryMb(), c.timeoutSec(), Json.write(c.metadata()), PolicyJson.write(n.policy()), n.portAccess().wire(),
                n.trafficToken(), n.autoResume() ? 1 : 0, c.createdAt(), c.lastUpdated(), c.startedAt(),
                c.lastActiveAt(), c.operation() == null ? null : c.operation().wire(), c.operationStartedAt(),
                c.operation() == null ? null : owner);
        changed(c.id());
    }

    public Optional<CapsuleRecord> find(String id) {
        if (cache != null) return cache.get(id, () -> load(id));
        return load(id);
    }

    /** A capsule of this team; another team's is as absent as an unknown one. */
    public Optional<CapsuleRecord> find(String teamId, String id) {
        return find(id).filter(c -> c.teamId().equals(teamId));
    }

    private Optional<CapsuleRecord> load(String id) {
        return sql.one("SELECT " + COLUMNS + " FROM capsules WHERE id = ?", CapsuleStore::map, id);
    }

    private <T> T changed(String id, T result) {
        if (cache != null) cache.invalidate(id);
        return result;
    }

    private void changed(String id) {
        changed(id, null);
    }

    /** The team's capsules, newest first; {@code statuses} empty = every status. */
    public List<CapsuleRecord> list(String teamId, Collection<CapsuleStatus> statuses) {
        List<Object> args = new ArrayList<>();
        args.add(teamId);
        String where = "team_id = ?";
        if (!statuses.isEmpty()) {
            where += " AND status IN (" + Sql.placeholders(statuses.size()) + ")";
            statuses.forEach(s -> args.add(s.wire()));
        }
        return sql.query("SELECT " + COLUMNS + " FROM capsules WHERE " + where + " ORDER BY created_at DESC, id DESC",
                CapsuleStore::map, args.toArray());
    }

    /** The capsules of one host, of every team, in these statuses. */
    public List<CapsuleRecord> listByStatus(String hostId, Collection<CapsuleStatus> statuses) {
        List<Object> args = new ArrayList<>(List.of(hostId));
        statuses.forEach(s -> args.add(s.wire()));
        return sql.query("SELECT " + COLUMNS + " FROM capsules WHERE host_id = ? AND status IN ("
                + Sql.placeholders(statuses.size()) + ")", CapsuleStore::map, args.toArray());
    }

    /** The capsules of one host with an operation in flight (or interrupted by a crash). */
    public List<CapsuleRecord> listWithOperation(String hostId) {
        return sql.query("SELECT " + COLUMNS + " FROM capsules WHERE host_id = ? AND operation IS NOT NULL",
                CapsuleStore::map, hostId);
    }

    /**
     * Takes the capsule's operation slot if it is free and the capsule is in one of {@code from}.
     * False when another operation holds it or the status does not allow this one.
     */
    public boolean claim(String id, Operation op, Collection<CapsuleStatus> from, long now) {
        List<Object> args = new ArrayList<>(List.of(op.wire(), now, owner, id));
        from.forEach(s -> args.add(s.wire()));
        return changed(id, sql.update("UPDATE capsules SET operation = ?, operation_started_at = ?, operation_owner = ?"
                + " WHERE id = ? AND operation IS NULL"
                + " AND status IN (" + Sql.placeholders(from.size()) + ")", args.toArray()) == 1);
    }

    /**
     * Ends operation {@code op} by moving the capsule from one of {@code from} to {@code to};
     * {@code startedAt} non-null also records that it reached running then. False when {@code op}
     * no longer holds the slot or the status moved meanwhile (e.g. destroyed during its boot).
     */
    public boolean finish(String id, Operation op, Collection<CapsuleStatus> from, CapsuleStatus to, String reason,
                          long now, Long startedAt) {
        List<Object> args = new ArrayList<>(List.of(to.wire()));
        args.add(reason);
        args.add(now);
        String set = "status = ?, status_reason = ?, last_updated = ?, " + NO_OPERATION;
        if (startedAt != null) {
            set += ", started_at = ?";
            args.add(startedAt);
        }
        args.add(id);
        args.add(op.wire());
        from.forEach(s -> args.add(s.wire()));
        return changed(id, sql.update("UPDATE capsules SET " + set + " WHERE id = ? AND operation = ? AND status IN ("
                + Sql.placeholders(from.size()) + ")", args.toArray()) == 1);
    }

    /** Gives up operation {@code op} without a status change (the operation failed and was rolled back). */
    public boolean release(String id, Operation op) {
        return changed(id, sql.update("UPDATE capsules SET " + NO_OPERATION + " WHERE id = ? AND operation = ?",
                id, op.wire()) == 1);
    }

    /**
     * Moves the capsule to {@code to} if it is in one of {@code from}, whatever operation is in
     * flight (boot progress, destroy during boot, a VM that died). {@code startedAt} as in finish.
     */
    public boolean move(String id, Collection<CapsuleStatus> from, CapsuleStatus to, String reason, long now, Long startedAt) {
        List<Object> args = new ArrayList<>(List.of(to.wire()));
        args.add(reason);
        args.add(now);
        String set = "status = ?, status_reason = ?, last_updated = ?";
        if (startedAt != null) {
            set += ", started_at = ?";
            args.add(startedAt);
        }
        args.add(id);
        from.forEach(s -> args.add(s.wire()));
        return changed(id, sql.update("UPDATE capsules SET " + set + " WHERE id = ? AND status IN (" + Sql.placeholders(from.size()) + ")",
                args.toArray()) == 1);
    }

    /**
     * Ends operation {@link Operation#NETWORK} with the capsule's new policy. False when that
     * operation no longer holds the slot.
     */
    public boolean finishNetwork(String id, NetworkPolicy policy) {
        return changed(id, sql.update("UPDATE capsules SET network = ?, " + NO_OPERATION
                + " WHERE id = ? AND operation = ?", PolicyJson.write(policy), id, Operation.NETWORK.wire()) == 1);
    }

    /**
     * Capsules whose operation was taken by a control plane not heard from since {@code cutoff} (or
     * by one from before owners were recorded): nobody is finishing them.
     */
    public List<CapsuleRecord> orphanedOperations(long cutoff) {
        return sql.query("SELECT " + COLUMNS + " FROM capsules WHERE operation IS NOT NULL AND (operation_owner IS NULL"
                + " OR operation_owner NOT IN (SELECT id FROM control_planes WHERE last_seen_at >= ?))", CapsuleStore::map, cutoff);
    }

    /**
     * Makes this control plane the owner of an orphaned operation, if it is still the one found and
     * still orphaned (by {@code cutoff}, as in {@link #orphanedOperations}): of two control planes
     * adopting it at once, one wins.
     */
    public boolean adopt(CapsuleRecord c, long cutoff) {
        return changed(c.id(), sql.update("UPDATE capsules SET operation_owner = ? WHERE id = ? AND operation = ?"
                + " AND operation_started_at = ? AND (operation_owner IS NULL OR operation_owner NOT IN"
                + " (SELECT id FROM control_planes WHERE last_seen_at >= ?))",
                owner, c.id(), c.operation().wire(), c.operationStartedAt(), cutoff) == 1);
    }

    /** Ends operation MOVE with the capsule on its new host; false when that operation no longer holds the slot. */
    public boolean rehost(String id, String fromHost, String toHost, long now) {
        return changed(id, sql.update("UPDATE capsules SET host_id = ?, last_updated = ?, " + NO_OPERATION
                + " WHERE id = ? AND host_id = ? AND operation = ?",
                toHost, now, id, fromHost, Operation.MOVE.wire()) == 1);
    }

    public void touch(String id, long now) {
        sql.update("UPDATE capsules SET last_active_at = ? WHERE id = ?", now, id);
        changed(id);
    }

    /** vCPUs and MiB of one host held by capsules that hold resources (or are being resumed), over every team. */
    public long[] usage(String hostId) {
        return sql.one("SELECT COALESCE(SUM(vcpus), 0), COALESCE(SUM(memory_mb), 0) FROM capsules WHERE host_id = ?"
                + " AND (status IN ('pending', 'starting', 'running') OR operation = 'resume')",
                rs -> new long[] {rs.getLong(1), rs.getLong(2)}, hostId).orElseThrow();
    }

    /** Capsules of one host admitted but not running yet (being created or resumed): their VMs take memory soon. */
    public int countArriving(String hostId) {
        return countArriving(hostId, Long.MAX_VALUE);
    }

    /**
     * As {@link #countArriving(String)}, and those that started running at or after {@code startedSince}
     * (epoch ms): a reading of the host's memory taken then does not show theirs yet.
     */
    public int countArriving(String hostId, long startedSince) {
        return sql.one("SELECT COUNT(*) FROM capsules WHERE host_id = ?"
                + " AND (status IN ('pending', 'starting') OR operation = 'resume' OR (status = 'running' AND started_at >= ?))",
                rs -> rs.getInt(1), hostId, startedSince).orElseThrow();
    }

    /** Capsules that have a VM or files on the host: every one neither stopped nor failed. */
    public int countOnHost(String hostId) {
        return sql.one("SELECT COUNT(*) FROM capsules WHERE host_id = ? AND status NOT IN ('stopped', 'error')",
                rs -> rs.getInt(1), hostId).orElseThrow();
    }

    /** The team's capsules that hold resources. */
    public int countActive(String teamId) {
        return sql.one("SELECT COUNT(*) FROM capsules WHERE team_id = ?"
                + " AND (status IN ('pending', 'starting', 'running') OR operation = 'resume')",
                rs -> rs.getInt(1), teamId).orElseThrow();
    }

    public Map<CapsuleStatus, Long> countByStatus() {
        Map<CapsuleStatus, Long> counts = new EnumMap<>(CapsuleStatus.class);
        for (CapsuleStatus s : CapsuleStatus.values()) counts.put(s, 0L);
        sql.query("SELECT status, COUNT(*) FROM capsules GROUP BY status", rs -> {
            counts.put(CapsuleStatus.fromWire(rs.getString(1)), rs.getLong(2));
            return null;
        });
        return counts;
    }

    /** Forgets stopped capsules whose last change is older than {@code cutoff}; how many. */
    public int deleteStoppedBefore(long cutoff) {
        return changed(null, sql.update("DELETE FROM capsules WHERE status = 'stopped' AND operation IS NULL AND last_updated < ?", cutoff));
    }

    private static CapsuleRecord map(ResultSet rs) throws SQLException {
        return new CapsuleRecord(rs.getString("id"), rs.getString("team_id"), rs.getString("host_id"),
                CapsuleStatus.fromWire(rs.getString("status")),
                rs.getString("status_reason"), rs.getString("template"), rs.getString("host_template"), rs.getInt("vcpus"),
                rs.getInt("memory_mb"), rs.getInt("timeout_sec"), Json.readStringMap(rs.getString("metadata")),
                new CapsuleNetwork(PolicyJson.read(rs.getString("network")), PortAccess.fromWire(rs.getString("port_access")),
                        rs.getString("traffic_token"), rs.getInt("auto_resume") != 0),
                rs.getLong("created_at"), rs.getLong("last_updated"), Sql.longOrNull(rs, "started_at"),
                Sql.longOrNull(rs, "last_active_at"), Operation.fromWire(rs.getString("operation")),
                Sql.longOrNull(rs, "operation_started_at"));
    }
}
