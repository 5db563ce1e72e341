package dev.wrenn.cli;

import dev.wrenn.server.store.Database;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where an installation keeps its state: a data dir (SQLite inside) or a database URL. */
final class StoreOptions {
    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:WRENN_DATA_DIR:-.wrenn}",
            description = "Data directory: capsules, templates and the SQLite database (default: ${DEFAULT-VALUE}; env WRENN_DATA_DIR).")
    Path dataDir;

    @Option(names = "--database-url", paramLabel = "URL", defaultValue = "${env:WRENN_DATABASE_URL}",
            description = "postgresql://user:pass@host:port/db or sqlite:PATH (default: SQLite in the data dir; env WRENN_DATABASE_URL).")
    String databaseUrl;

    Path dataDir() {
        return dataDir.toAbsolutePath().normalize();
    }

    String databaseUrl() {
        return databaseUrl == null || databaseUrl.isBlank() ? null : databaseUrl;
    }

    /** The installation's database, opened (and migrated) for one command. */
    Database open() {
        return Database.open(databaseUrl(), dataDir().resolve("wrenn.db"));
    }
}
