package dev.wrenn.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** A few lines of JDBC that every store needs: statements with positional arguments, short transactions. */
final class Sql {
    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final DataSource ds;

    Sql(DataSource ds) {
        this.ds = ds;
    }

    <T> List<T> query(String sql, RowMapper<T> mapper, Object... args) {
        return withConnection(c -> query(c, sql, mapper, args));
    }

    <T> Optional<T> one(String sql, RowMapper<T> mapper, Object... args) {
        List<T> rows = query(sql, mapper, args);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    int update(String sql, Object... args) {
        return withConnection(c -> update(c, sql, args));
    }

    static <T> List<T> query(Connection c, String sql, RowMapper<T> mapper, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> rows = new ArrayList<>();
                while (rs.next()) rows.add(mapper.map(rs));
                return rows;
            }
        }
    }

    static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        }
    }

    <T> T withConnection(Work<T> work) {
        try (Connection c = ds.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    /**
     * A connection that could not be had or broke (SQLState class 08, PostgreSQL shutting down:
     * 57P01..57P03, the pool's timeout) is the database being unreachable; anything else a failed statement.
     */
    static RuntimeException failure(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        boolean unreachable = e instanceof java.sql.SQLTransientConnectionException
                || e instanceof java.sql.SQLNonTransientConnectionException
                || state.startsWith("08") || state.matches("57P0[123]");
        return unreachable ? new DatabaseUnavailableException("the database is unreachable: " + e.getMessage(), e)
                : new StoreException(e);
    }

    /** Runs {@code work} in one transaction: all of it or none of it. */
    <T> T inTransaction(Work<T> work) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    private static void bind(PreparedStatement ps, Object[] args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) ps.setNull(i + 1, Types.NULL);
            else if (a instanceof Long l) ps.setLong(i + 1, l);
            else if (a instanceof Integer n) ps.setInt(i + 1, n);
            else if (a instanceof String s) ps.setString(i + 1, s);
            else throw new IllegalArgumentException("unsupported SQL argument type " + a.getClass());
        }
    }

    /** A nullable BIGINT column. */
    static Long longOrNull(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    /** "?, ?, ?" for an IN list of n values. */
    static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }
}
