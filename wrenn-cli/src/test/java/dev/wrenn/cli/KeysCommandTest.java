package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code wrenn keys}: straight in the installation's database, no server needed. */
class KeysCommandTest {
    private static CliRun wrenn(String... args) {
        return CliRun.of(Main.commandLine(), args);
    }

    @Test
    void createPrintsOnlyTheKeyAndListShowsItWithoutTheSecret(@TempDir Path parent) {
        Path dir = parent.resolve("not-yet-there");
        CliRun created = wrenn("keys", "create", "--name", "laptop", "--data-dir", dir.toString());
        assertEquals(0, created.exit(), created.err());
        assertTrue(created.out().matches("wrn_[0-9a-f]{32}\n"), "only the key on stdout: '" + created.out() + "'");
        String key = created.out().strip();

        CliRun other = wrenn("keys", "create", "--name", "ci", "--team", "robots", "--data-dir", dir.toString());
        assertEquals(0, other.exit(), other.err());

        CliRun list = wrenn("keys", "list", "--data-dir", dir.toString());
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().contains("laptop") && list.out().contains("ci"), list.out());
        assertTrue(list.out().contains("default") && list.out().contains("robots"), list.out());
        assertTrue(list.out().contains(key.substring(0, 12)), "the prefix is shown");
        assertFalse(list.out().contains(key), "the secret is not");

        CliRun robots = wrenn("keys", "list", "--team", "robots", "--data-dir", dir.toString());
        assertFalse(robots.out().contains("laptop"), robots.out());
        String id = robots.out().lines().skip(1).findFirst().orElseThrow().split("\\s+")[0];

        CliRun revoked = wrenn("keys", "revoke", id, "--data-dir", dir.toString());
        assertEquals(0, revoked.exit(), revoked.err());
        assertFalse(wrenn("keys", "list", "--data-dir", dir.toString()).out().contains(id));
    }

    @Test
    void mistakesAreOneLineErrorsWithAnExitStatus(@TempDir Path dir) {
        CliRun bad = wrenn("keys", "revoke", "nope", "--data-dir", dir.toString());
        assertEquals(2, bad.exit());
        assertTrue(bad.err().startsWith("wrenn: ") && bad.err().contains("nope"), bad.err());
        CliRun unknown = wrenn("keys", "revoke", "key-" + "0".repeat(25), "--data-dir", dir.toString());
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("does not exist"), unknown.err());
        CliRun noName = wrenn("keys", "create", "--data-dir", dir.toString());
        assertEquals(2, noName.exit());
        assertTrue(noName.err().contains("--name"), noName.err());
        CliRun noTeam = wrenn("keys", "list", "--team", "ghosts", "--data-dir", dir.toString());
        assertEquals(2, noTeam.exit());
        assertTrue(noTeam.err().contains("ghosts"), noTeam.err());
        CliRun badDb = wrenn("keys", "list", "--database-url", "postgresql://nobody@127.0.0.1:1/none");
        assertEquals(2, badDb.exit());
        assertTrue(badDb.err().startsWith("wrenn: cannot open the database"), badDb.err());
    }
}
