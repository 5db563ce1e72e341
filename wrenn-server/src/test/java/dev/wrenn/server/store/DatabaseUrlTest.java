package dev.wrenn.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class DatabaseUrlTest {
    @Test
    void postgresUrlsBecomeJdbcUrlsWithTheCredentialsAsParameters() {
        assertEquals("jdbc:postgresql://db.example:5433/wrenn?sslmode=disable&user=app&password=p%40ss",
                Database.toJdbc("postgresql://app:p%40ss@db.example:5433/wrenn?sslmode=disable"));
        assertEquals("jdbc:postgresql://localhost/postgres", Database.toJdbc("postgres://localhost"));
        assertEquals("jdbc:sqlite:/var/lib/wrenn.db", Database.toJdbc("sqlite:/var/lib/wrenn.db"));
        assertEquals("jdbc:postgresql://h/db", Database.toJdbc("jdbc:postgresql://h/db"));
    }

    @Test
    void passwordsNeverReachTheLogs() {
        assertFalse(Database.redact("postgresql://app:secret@h/db").contains("secret"));
        assertFalse(Database.redact("jdbc:postgresql://h/db?user=app&password=secret").contains("secret"));
    }
}
