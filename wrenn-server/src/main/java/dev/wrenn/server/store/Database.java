package dev.wrenn.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's database: SQLite in the data dir by default, PostgreSQL for several control
 * planes. Opens a pool and brings the schema up to date with the migrations in db/migration.
 */
public final class Database implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Database.class);

    public enum Kind { SQLITE, POSTGRESQL }

    private final HikariDataSource pool;
    private final Kind kind;
    private final String description;

    private Database(HikariDataSource pool, Kind kind, String description) {
        this.pool = pool;
        this.kind = kind;
        this.description = description;
    }

    /**
     * Opens {@code url}: {@code postgresql://user:pass@host:port/db}, {@code sqlite:/path/file.db},
     * or a JDBC URL of either; null means SQLite at {@code defaultSqliteFile}.
     */
    public static Database open(String url, Path defaultSqliteFile) {
        String jdbc = url == null || url.isBlank() ? "jdbc:sqlite:" + defaultSqliteFile.toAbsolutePath() : toJdbc(url.strip());
        HikariConfig cfg = new HikariConfig();
        cfg.setPoolName("wrenn-db");
        Kind kind;
        if (jdbc.startsWith("jdbc:sqlite:")) {
            kind = Kind.SQLITE;
            cfg.setJdbcUrl(jdbc);
            // WAL lets readers run beside the one writer; IMMEDIATE transactions take the write
            // lock up front, so two writers queue on busy_timeout instead of failing to upgrade.
            cfg.addDataSourceProperty("journal_mode", "WAL");
            cfg.addDataSourceProperty("synchronous", "NORMAL");
            cfg.addDataSourceProperty("busy_timeout", "10000");
            cfg.addDataSourceProperty("foreign_keys", "true");
            cfg.addDataSourceProperty("transaction_mode", "IMMEDIATE");
            cfg.setMaximumPoolSize(8);
        } else if (jdbc.startsWith("jdbc:postgresql:")) {
            kind = Kind.POSTGRESQL;
            cfg.setJdbcUrl(jdbc);
            cfg.setMaximumPoolSize(16);
        } else {
            throw new IllegalArgumentException("unsupported database URL '" + redact(url)
                    + "': expected postgresql://..., sqlite:PATH or a jdbc:sqlite:/jdbc:postgresql: URL");
        }
        // an unreachable database fails a request after this long (503), rather than holding it
        cfg.setConnectionTimeout(3_000);
        String description = kind.name().toLowerCase(Locale.ROOT) + " " + redact(jdbc);
        HikariDataSource ds;
        try {
            if (kind == Kind.SQLITE) Files.createDirectories(Path.of(jdbc.substring("jdbc:sqlite:".length())).toAbsolutePath().getParent());
            ds = new HikariDataSource(cfg);
        } catch (IOException | RuntimeException e) {
            throw new DatabaseUnavailableException("cannot open the database (" + description + "): " + rootMessage(e), e);
        }
        try {
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw new DatabaseUnavailableException("cannot migrate the database (" + description + "): " + rootMessage(e), e);
        }
        log.atInfo().addKeyValue("database", description).log("database ready");
        return new Database(ds, kind, description);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage();
    }

    /** postgresql://user:pass@host:port/db?x=y → jdbc:postgresql://host:port/db?x=y&user=..&password=.. */
    static String toJdbc(String url) {
        if (url.startsWith("jdbc:")) return url;
        if (url.startsWith("sqlite:")) return "jdbc:" + url;
        if (url.startsWith("postgresql://") || url.startsWith("postgres://")) {
            URI u = URI.create(url);
            StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(u.getHost() == null ? "localhost" : u.getHost());
            if (u.getPort() > 0) jdbc.append(':').append(u.getPort());
            jdbc.append(u.getRawPath() == null || u.getRawPath().isEmpty() ? "/postgres" : u.getRawPath());
            StringBuilder query = new StringBuilder(u.getRawQuery() == null ? "" : u.getRawQuery());
            if (u.getRawUserInfo() != null) {
                String[] userPass = u.getRawUserInfo().split(":", 2);
                append(query, "user", decode(userPass[0]));
                if (userPass.length == 2) append(query, "password", decode(userPass[1]));
            }
            if (!query.isEmpty()) jdbc.append('?').append(query);
            return jdbc.toString();
        }
        return url;
    }

    private static void append(StringBuilder query, String key, String value) {
        if (!query.isEmpty()) query.append('&');
        query.append(key).append('=').append(java.net.URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** The URL without its password, for logs. */
    static String redact(String url) {
        return url.replaceAll("(?i)(password=)[^&]*", "$1***").replaceAll("(//[^/:@]+:)[^@/]*@", "$1***@");
    }

    public DataSource dataSource() {
        return pool;
    }

    public Kind kind() {
        return kind;
    }

    public String description() {
        return description;
    }

    @Override
    public void close() {
        pool.close();
    }
}
