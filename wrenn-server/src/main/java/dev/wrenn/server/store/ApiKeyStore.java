package dev.wrenn.server.store;

import dev.wrenn.server.auth.ApiKey;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The SQL of API keys. Revoked keys stay as rows (for audit) but are never found by hash again. */
public final class ApiKeyStore {
    private static final String COLUMNS = "id, team_id, name, key_hash, key_prefix, created_at, last_used_at, revoked_at";

    private final Sql sql;

    public ApiKeyStore(DataSource ds) {
        this.sql = new Sql(ds);
    }

    public void insert(ApiKey k) {
        sql.update("INSERT INTO api_keys (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", k.id(), k.teamId(), k.name(),
                k.keyHash(), k.keyPrefix(), k.createdAt(), k.lastUsedAt(), k.revokedAt());
    }

    /** The live (not revoked) key with this hash. */
    public Optional<ApiKey> findActiveByHash(String hash) {
        return sql.one("SELECT " + COLUMNS + " FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", ApiKeyStore::map, hash);
    }

    /** A live key of the team. */
    public Optional<ApiKey> findActive(String teamId, String id) {
        return sql.one("SELECT " + COLUMNS + " FROM api_keys WHERE id = ? AND team_id = ? AND revoked_at IS NULL",
                ApiKeyStore::map, id, teamId);
    }

    /** A live key of any team (the CLI acts as the operator). */
    public Optional<ApiKey> findActive(String id) {
        return sql.one("SELECT " + COLUMNS + " FROM api_keys WHERE id = ? AND revoked_at IS NULL", ApiKeyStore::map, id);
    }

    /** The team's live keys, newest first. */
    public List<ApiKey> listActive(String teamId) {
        return sql.query("SELECT " + COLUMNS + " FROM api_keys WHERE team_id = ? AND revoked_at IS NULL"
                + " ORDER BY created_at DESC, id DESC", ApiKeyStore::map, teamId);
    }

    /** Every team's live keys, newest first. */
    public List<ApiKey> listActive() {
        return sql.query("SELECT " + COLUMNS + " FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id DESC",
                ApiKeyStore::map);
    }

    public boolean revoke(String id, long now) {
        return sql.update("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id) == 1;
    }

    public void markUsed(String id, long now) {
        sql.update("UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, id);
    }

    private static ApiKey map(ResultSet rs) throws SQLException {
        return new ApiKey(rs.getString("id"), rs.getString("team_id"), rs.getString("name"), rs.getString("key_hash"),
                rs.getString("key_prefix"), rs.getLong("created_at"), Sql.longOrNull(rs, "last_used_at"),
                Sql.longOrNull(rs, "revoked_at"));
    }
}
