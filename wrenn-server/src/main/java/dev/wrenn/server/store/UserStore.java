package dev.wrenn.server.store;

import dev.wrenn.server.auth.Membership;
import dev.wrenn.server.auth.Team;
import dev.wrenn.server.auth.User;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The SQL of users and their teams. */
public final class UserStore {
    private static final String COLUMNS = "id, email, password_hash, created_at";

    private final Sql sql;

    public UserStore(DataSource ds) {
        this.sql = new Sql(ds);
    }

    /** Inserts the user and their first membership together; false when the email is taken. */
    public boolean insert(User u, String teamId, Membership.Role role) {
        return sql.inTransaction(c -> {
            if (!Sql.query(c, "SELECT id FROM users WHERE email = ?", rs -> rs.getString(1), u.email()).isEmpty()) return false;
            Sql.update(c, "INSERT INTO users (" + COLUMNS + ") VALUES (?, ?, ?, ?)", u.id(), u.email(), u.passwordHash(),
                    u.createdAt());
            Sql.update(c, "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?, ?, ?, ?)", teamId, u.id(),
                    role.wire(), u.createdAt());
            return true;
        });
    }

    public Optional<User> findByEmail(String email) {
        return sql.one("SELECT " + COLUMNS + " FROM users WHERE email = ?", UserStore::map, email);
    }

    public Optional<User> find(String id) {
        return sql.one("SELECT " + COLUMNS + " FROM users WHERE id = ?", UserStore::map, id);
    }

    public List<User> list() {
        return sql.query("SELECT " + COLUMNS + " FROM users ORDER BY created_at", UserStore::map);
    }

    public boolean isEmpty() {
        return sql.one("SELECT COUNT(*) FROM users", rs -> rs.getLong(1)).orElse(0L) == 0;
    }

    /** Adds the user to the team, or changes their role in it. */
    public void setMembership(String teamId, String userId, Membership.Role role, long now) {
        sql.inTransaction(c -> {
            if (Sql.update(c, "UPDATE team_members SET role = ? WHERE team_id = ? AND user_id = ?", role.wire(), teamId, userId) == 0) {
                Sql.update(c, "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?, ?, ?, ?)", teamId, userId,
                        role.wire(), now);
            }
            return null;
        });
    }

    /** A team's members with their users, the oldest membership first. */
    public List<Member> members(String teamId) {
        return sql.query("SELECT u.id, u.email, u.password_hash, u.created_at, m.role, m.created_at AS joined_at"
                + " FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = ? ORDER BY m.created_at, u.email",
                rs -> new Member(map(rs), Membership.Role.fromWire(rs.getString("role")), rs.getLong("joined_at")), teamId);
    }

    /** A user and their role in a team, and since when. */
    public record Member(User user, Membership.Role role, long joinedAt) {}

    /**
     * Takes the user out of the team unless that would leave it without an owner; answers false
     * then, and true when removed (or not a member).
     */
    public boolean removeMembership(String teamId, String userId) {
        return sql.inTransaction(c -> {
            long otherOwners = Sql.query(c, "SELECT COUNT(*) FROM team_members WHERE team_id = ? AND role = 'owner' AND user_id <> ?",
                    rs -> rs.getLong(1), teamId, userId).get(0);
            List<String> role = Sql.query(c, "SELECT role FROM team_members WHERE team_id = ? AND user_id = ?",
                    rs -> rs.getString(1), teamId, userId);
            if (!role.isEmpty() && role.get(0).equals("owner") && otherOwners == 0) return false;
            Sql.update(c, "DELETE FROM team_members WHERE team_id = ? AND user_id = ?", teamId, userId);
            return true;
        });
    }

    /** The user's teams, the oldest membership first. */
    public List<Membership> memberships(String userId) {
        return sql.query("SELECT t.id, t.name, t.created_at, m.user_id, m.role FROM team_members m JOIN teams t ON t.id = m.team_id"
                + " WHERE m.user_id = ? ORDER BY m.created_at, t.name", UserStore::membership, userId);
    }

    private static Membership membership(ResultSet rs) throws SQLException {
        return new Membership(new Team(rs.getString(1), rs.getString(2), rs.getLong(3)), rs.getString(4),
                Membership.Role.fromWire(rs.getString(5)));
    }

    private static User map(ResultSet rs) throws SQLException {
        return new User(rs.getString("id"), rs.getString("email"), rs.getString("password_hash"), rs.getLong("created_at"));
    }
}
