package dev.wrenn.server.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * A lock on one host across every control plane sharing a PostgreSQL database: admission reads a
 * host's room and records the capsule that takes it under this lock, so two control planes never
 * both take its last room. A PostgreSQL session advisory lock, held on a connection of its own
 * for as long as the work runs (a control plane that dies lets it go with its connection). Over
 * SQLite there is one control plane, whose own lock is enough.
 */
public final class HostLocks {
    /** How long a control plane waits for another's admission on the same host. */
    private static final int WAIT_SECONDS = 30;

    private final DataSource ds;
    private final boolean shared;

    /** {@code shared}: the database is PostgreSQL, where several control planes may run. */
    public HostLocks(DataSource ds, boolean shared) {
        this.ds = ds;
        this.shared = shared;
    }

    public <T> T holding(String hostId, Supplier<T> work) {
        if (!shared) return work.get();
        long key = key(hostId);
        try (Connection c = ds.getConnection()) {
            run(c, "SELECT pg_advisory_lock(?)", key);
            try {
                return work.get();
            } finally {
                run(c, "SELECT pg_advisory_unlock(?)", key);
            }
        } catch (SQLException e) {
            throw Sql.failure(e);
        }
    }

    private static void run(Connection c, String sql, long key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setQueryTimeout(WAIT_SECONDS);
            ps.setLong(1, key);
            ps.execute();
        }
    }

    /** A 64-bit advisory lock key of the host id, in a space of its own ("wrenn-host:"). */
    static long key(String hostId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(("wrenn-host:" + hostId).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
