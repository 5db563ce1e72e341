package dev.wrenn.server.store;

import dev.wrenn.server.auth.SessionRecord;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/** The SQL of signed-in browsers' sessions. */
public final class SessionStore {
    private static final String COLUMNS = "id_hash, team_id, user_id, key_id, csrf_token, created_at, expires_at";

    private final Sql sql;

    public SessionStore(DataSource ds) {
        this.sql = new Sql(ds);
    }

    public void insert(SessionRecord s) {
        sql.update("INSERT INTO sessions (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)", s.idHash(), s.teamId(), s.userId(),
                s.keyId(), s.csrfToken(), s.createdAt(), s.expiresAt());
    }

    /** The session with this hash, unless it expired before {@code now}. */
    public Optional<SessionRecord> findLive(String idHash, long now) {
        return sql.one("SELECT " + COLUMNS + " FROM sessions WHERE id_hash = ? AND expires_at > ?", SessionStore::map, idHash, now);
    }

    public void delete(String idHash) {
        sql.update("DELETE FROM sessions WHERE id_hash = ?", idHash);
    }

    /** Forgets sessions that expired; answers how many. */
    public int deleteExpired(long now) {
        return sql.update("DELETE FROM sessions WHERE expires_at <= ?", now);
    }

    private static SessionRecord map(ResultSet rs) throws SQLException {
        return new SessionRecord(rs.getString("id_hash"), rs.getString("team_id"), rs.getString("user_id"), rs.getString("key_id"),
                rs.getString("csrf_token"), rs.getLong("created_at"), rs.getLong("expires_at"));
    }
}
