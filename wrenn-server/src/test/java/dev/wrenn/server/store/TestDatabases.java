package dev.wrenn.server.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Fresh, empty databases for store tests: a SQLite file, and a new database on the throwaway
 * PostgreSQL server that scripts/with-postgres.sh starts (WRENN_TEST_POSTGRES_URL).
 */
public final class TestDatabases {
    public static final String POSTGRES_ENV = "WRENN_TEST_POSTGRES_URL";

    private TestDatabases() {}

    /** The database URLs to run store tests against: SQLite always, PostgreSQL when the test command started one. */
    public static List<String> kinds() {
        List<String> kinds = new ArrayList<>(List.of("sqlite"));
        if (postgresUrl() != null) kinds.add("postgresql");
        else System.err.println("[store tests] " + POSTGRES_ENV + " is not set: PostgreSQL store tests are skipped"
                + " (run the suite through scripts/with-postgres.sh)");
        return kinds;
    }

    public static String postgresUrl() {
        String url = System.getenv(POSTGRES_ENV);
        return url == null || url.isBlank() ? null : url;
    }

    /** A URL of a new empty database of that kind. */
    public static String fresh(String kind) {
        return switch (kind) {
            case "sqlite" -> "sqlite:" + sqliteDir().resolve("wrenn-" + UUID.randomUUID() + ".db");
            case "postgresql" -> freshPostgres();
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static Path sqliteDir;

    /** One temp dir for the JVM's SQLite files, removed when the JVM ends. */
    private static synchronized Path sqliteDir() {
        if (sqliteDir == null) {
            try {
                sqliteDir = Files.createTempDirectory("wrenn-store-test-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path dir = sqliteDir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> dev.wrenn.host.storage.FileOps.deleteTree(dir)));
        }
        return sqliteDir;
    }

    private static String freshPostgres() {
        String admin = postgresUrl();
        String name = "wrenn_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(Database.toJdbc(admin)); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create a test database on " + admin, e);
        }
        int slash = admin.lastIndexOf('/');
        int query = admin.indexOf('?', slash);
        return admin.substring(0, slash + 1) + name + (query < 0 ? "" : admin.substring(query));
    }
}
