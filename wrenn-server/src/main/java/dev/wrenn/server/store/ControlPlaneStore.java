package dev.wrenn.server.store;

import javax.sql.DataSource;

/** The SQL of control planes sharing one database: their heartbeats and the leases of work done once. */
public final class ControlPlaneStore {
    private final Sql sql;

    public ControlPlaneStore(DataSource ds) {
        this.sql = new Sql(ds);
    }

    public void beat(String id, long startedAt, long now) {
        if (sql.update("UPDATE control_planes SET last_seen_at = ? WHERE id = ?", now, id) == 0) {
            sql.update("INSERT INTO control_planes (id, started_at, last_seen_at) VALUES (?, ?, ?)", id, startedAt, now);
        }
    }

    public void remove(String id) {
        sql.update("DELETE FROM control_planes WHERE id = ?", id);
    }

    /** Forgets control planes not heard from since {@code cutoff}; how many. */
    public int forgetSilentBefore(long cutoff) {
        return sql.update("DELETE FROM control_planes WHERE last_seen_at < ?", cutoff);
    }

    /**
     * Takes or renews lease {@code name} for {@code holder} until {@code expiresAt}, if nobody holds
     * it, it has expired or {@code holder} already has it. True when {@code holder} holds it now.
     */
    public boolean lease(String name, String holder, long now, long expiresAt) {
        if (sql.update("UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND (holder = ? OR expires_at < ?)",
                holder, expiresAt, name, holder, now) == 1) {
            return true;
        }
        // no row yet, or held by another: of two first takers the primary key lets one in
        return sql.update("INSERT INTO leases (name, holder, expires_at) SELECT ?, ?, ? WHERE NOT EXISTS"
                + " (SELECT 1 FROM leases WHERE name = ?)", name, holder, expiresAt, name) == 1;
    }

    /** Gives the lease up at once (a control plane shutting down), if {@code holder} has it. */
    public void release(String name, String holder) {
        sql.update("UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?", name, holder);
    }
}
