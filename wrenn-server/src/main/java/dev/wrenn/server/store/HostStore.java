package dev.wrenn.server.store;

import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.server.hosts.RegisteredHost;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The SQL of host agents on other machines. */
public final class HostStore {
    private static final String COLUMNS = "id, name, token_hash, call_key, draining, address, certificate, vmm, accelerator,"
            + " cpus, memory_total_mb, memory_free_mb, vm_memory_mb, vms, warm_clones, disk_free_mb, created_at,"
            + " registered_at, last_seen_at, unreachable_at";
    private static final String CAPACITY = "cpus = ?, memory_total_mb = ?, memory_free_mb = ?, vm_memory_mb = ?, vms = ?,"
            + " warm_clones = ?, disk_free_mb = ?";

    private final Sql sql;

    public HostStore(DataSource ds) {
        this.sql = new Sql(ds);
    }

    public void insert(String id, String name, String tokenHash, String callKey, long now) {
        sql.update("INSERT INTO hosts (id, name, token_hash, call_key, created_at) VALUES (?, ?, ?, ?, ?)",
                id, name, tokenHash, callKey, now);
    }

    public Optional<RegisteredHost> find(String idOrName) {
        return sql.one("SELECT " + COLUMNS + " FROM hosts WHERE id = ? OR name = ?", HostStore::map, idOrName, idOrName);
    }

    public Optional<RegisteredHost> findByTokenHash(String tokenHash) {
        return sql.one("SELECT " + COLUMNS + " FROM hosts WHERE token_hash = ?", HostStore::map, tokenHash);
    }

    /** Every host, oldest first. */
    public List<RegisteredHost> list() {
        return sql.query("SELECT " + COLUMNS + " FROM hosts ORDER BY created_at, id", HostStore::map);
    }

    public void register(String id, String address, String certificatePem, String vmm, String accelerator,
                         HostCapacity c, long now) {
        sql.update("UPDATE hosts SET address = ?, certificate = ?, vmm = ?, accelerator = ?, " + CAPACITY
                        + ", registered_at = ?, last_seen_at = ?, unreachable_at = NULL WHERE id = ?",
                address, certificatePem, vmm, accelerator, c.cpus(), c.memoryTotalMb(), c.memoryFreeMb(), c.vmMemoryMb(),
                c.vms(), c.warmClones(), c.diskFreeMb(), now, now, id);
    }

    public void heartbeat(String id, HostCapacity c, long now) {
        sql.update("UPDATE hosts SET " + CAPACITY + ", last_seen_at = ?, unreachable_at = NULL WHERE id = ?", c.cpus(), c.memoryTotalMb(),
                c.memoryFreeMb(), c.vmMemoryMb(), c.vms(), c.warmClones(), c.diskFreeMb(), now, id);
    }

    /** Registered hosts not marked unreachable whose agent was last heard from before {@code cutoff}. */
    public List<RegisteredHost> silentSince(long cutoff) {
        return sql.query("SELECT " + COLUMNS + " FROM hosts WHERE registered_at IS NOT NULL AND unreachable_at IS NULL"
                + " AND last_seen_at < ?", HostStore::map, cutoff);
    }

    /** Marks the host unreachable unless it was heard from meanwhile (or another control plane marked it); true if marked. */
    public boolean markUnreachable(String id, long cutoff, long now) {
        return sql.update("UPDATE hosts SET unreachable_at = ? WHERE id = ? AND unreachable_at IS NULL AND last_seen_at < ?",
                now, id, cutoff) == 1;
    }

    /** The drain as the draining column keeps it: 0 none, 1 pause, 2 pause and move. */
    public boolean setDrain(String id, RegisteredHost.Drain drain) {
        return sql.update("UPDATE hosts SET draining = ? WHERE id = ?", drain.ordinal(), id) == 1;
    }

    public boolean delete(String id) {
        return sql.update("DELETE FROM hosts WHERE id = ?", id) == 1;
    }

    private static RegisteredHost map(ResultSet rs) throws SQLException {
        HostCapacity capacity = new HostCapacity(rs.getInt("cpus"), rs.getLong("memory_total_mb"), rs.getLong("memory_free_mb"),
                rs.getLong("vm_memory_mb"), rs.getInt("vms"), rs.getInt("warm_clones"), rs.getLong("disk_free_mb"));
        return new RegisteredHost(rs.getString("id"), rs.getString("name"), rs.getString("token_hash"),
                rs.getString("call_key"), RegisteredHost.Drain.values()[Math.min(rs.getInt("draining"), 2)],
                rs.getString("address"), rs.getString("certificate"),
                rs.getString("vmm"), rs.getString("accelerator"), capacity, rs.getLong("created_at"),
                Sql.longOrNull(rs, "registered_at"), Sql.longOrNull(rs, "last_seen_at"), Sql.longOrNull(rs, "unreachable_at"));
    }
}
