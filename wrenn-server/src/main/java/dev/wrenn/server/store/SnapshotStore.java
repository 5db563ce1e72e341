package dev.wrenn.server.store;

import dev.wrenn.server.capsule.SnapshotRecord;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The SQL of a team's snapshot templates. */
public final class SnapshotStore {
    private static final String COLUMNS = "team_id, name, host_name, vcpus, memory_mb, size_bytes, source_capsule_id, created_at, host_id";

    private final Sql sql;

    public SnapshotStore(DataSource ds) {
        this.sql = new Sql(ds);
    }

    public Optional<SnapshotRecord> find(String teamId, String name) {
        return sql.one("SELECT " + COLUMNS + " FROM snapshot_templates WHERE team_id = ? AND name = ?",
                SnapshotStore::map, teamId, name);
    }

    public List<SnapshotRecord> list(String teamId) {
        return sql.query("SELECT " + COLUMNS + " FROM snapshot_templates WHERE team_id = ? ORDER BY created_at DESC, name",
                SnapshotStore::map, teamId);
    }

    public List<String> allHostNames() {
        return sql.query("SELECT host_name FROM snapshot_templates", rs -> rs.getString(1));
    }

    /** Inserts or replaces the team's template of that name. */
    public void put(SnapshotRecord s) {
        sql.inTransaction(c -> {
            // copies of the template it replaces hold that one's files
            Sql.update(c, "DELETE FROM template_copies WHERE host_name IN (SELECT host_name FROM snapshot_templates"
                    + " WHERE team_id = ? AND name = ?)", s.teamId(), s.name());
            Sql.update(c, "DELETE FROM snapshot_templates WHERE team_id = ? AND name = ?", s.teamId(), s.name());
            return Sql.update(c, "INSERT INTO snapshot_templates (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    s.teamId(), s.name(), s.hostName(), s.vcpus(), s.memoryMb(), s.sizeBytes(), s.sourceCapsuleId(),
                    s.createdAt(), s.hostId());
        });
    }

    public boolean delete(String teamId, String name) {
        return sql.inTransaction(c -> {
            Sql.update(c, "DELETE FROM template_copies WHERE host_name IN (SELECT host_name FROM snapshot_templates"
                    + " WHERE team_id = ? AND name = ?)", teamId, name);
            return Sql.update(c, "DELETE FROM snapshot_templates WHERE team_id = ? AND name = ?", teamId, name) == 1;
        });
    }

    public Optional<SnapshotRecord> findByHostName(String hostName) {
        return sql.one("SELECT " + COLUMNS + " FROM snapshot_templates WHERE host_name = ?", SnapshotStore::map, hostName);
    }

    /** The hosts other than its own that hold a copy of the template named {@code hostName} on hosts. */
    public List<String> copies(String hostName) {
        return sql.query("SELECT host_id FROM template_copies WHERE host_name = ? ORDER BY created_at", rs -> rs.getString(1),
                hostName);
    }

    /** Records a copy on {@code hostId}; false when the template is gone meanwhile (or the copy was recorded already). */
    public boolean addCopy(String hostName, String hostId, long now) {
        return sql.update("INSERT INTO template_copies (host_name, host_id, created_at) SELECT ?, ?, ? WHERE EXISTS"
                + " (SELECT 1 FROM snapshot_templates WHERE host_name = ?) AND NOT EXISTS (SELECT 1 FROM template_copies"
                + " WHERE host_name = ? AND host_id = ?)", hostName, hostId, now, hostName, hostName, hostId) == 1;
    }

    private static SnapshotRecord map(ResultSet rs) throws SQLException {
        return new SnapshotRecord(rs.getString("team_id"), rs.getString("name"), rs.getString("host_name"),
                rs.getInt("vcpus"), rs.getInt("memory_mb"), rs.getLong("size_bytes"), rs.getString("source_capsule_id"),
                rs.getLong("created_at"), rs.getString("host_id"));
    }
}
