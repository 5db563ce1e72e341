package dev.wrenn.server.store;

import dev.wrenn.server.auth.Team;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The SQL of teams. */
public final class TeamStore {
    private final Sql sql;

    public TeamStore(DataSource ds) {
        this.sql = new Sql(ds);
    }

    public Optional<Team> findByName(String name) {
        return sql.one("SELECT id, name, created_at FROM teams WHERE name = ?", TeamStore::map, name);
    }

    public Optional<Team> find(String id) {
        return sql.one("SELECT id, name, created_at FROM teams WHERE id = ?", TeamStore::map, id);
    }

    public List<Team> list() {
        return sql.query("SELECT id, name, created_at FROM teams ORDER BY created_at", TeamStore::map);
    }

    public boolean isEmpty() {
        return sql.one("SELECT COUNT(*) FROM teams", rs -> rs.getLong(1)).orElse(0L) == 0;
    }

    /** Inserts the team unless one of that name exists (another process may race us); returns the stored one. */
    public Team findOrCreate(Team team) {
        return sql.inTransaction(c -> {
            Optional<Team> existing = findByName(c, team.name());
            if (existing.isPresent()) return existing.get();
            Sql.update(c, "INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)", team.id(), team.name(), team.createdAt());
            return team;
        });
    }

    private static Optional<Team> findByName(Connection c, String name) throws SQLException {
        return Sql.query(c, "SELECT id, name, created_at FROM teams WHERE name = ?", TeamStore::map, name).stream().findFirst();
    }

    private static Team map(ResultSet rs) throws SQLException {
        return new Team(rs.getString("id"), rs.getString("name"), rs.getLong("created_at"));
    }
}
