package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code wrenn keys}: straight in the installation's database, no server needed. */
class KeysCommandTest {
    private record Run(int exit, String out, String err) {}

    private static Run wrenn(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void createPrintsOnlyTheKeyAndListShowsItWithoutTheSecret(@TempDir Path parent) {
        Path dir = parent.resolve("not-yet-there");
        Run created = wrenn("keys", "create", "--name", "laptop", "--data-dir", dir.toString());
        assertEquals(0, created.exit(), created.err());
        assertTrue(created.out().matches("wrn_[0-9a-f]{32}\n"), "only the key on stdout: '" + created.out() + "'");
        String key = created.out().strip();

        Run other = wrenn("keys", "create", "--name", "ci", "--team", "robots", "--data-dir", dir.toString());
        assertEquals(0, other.exit(), other.err());

        Run list = wrenn("keys", "list", "--data-dir", dir.toString());
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().contains("laptop") && list.out().contains("ci"), list.out());
        assertTrue(list.out().contains("default") && list.out().contains("robots"), list.out());
        assertTrue(list.out().contains(key.substring(0, 12)), "the prefix is shown");
        assertFalse(list.out().contains(key), "the secret is not");

        Run robots = wrenn("keys", "list", "--team", "robots", "--data-dir", dir.toString());
        assertFalse(robots.out().contains("laptop"), robots.out());
        String id = robots.out().lines().skip(1).findFirst().orElseThrow().split("\\s+")[0];

        Run revoked = wrenn("keys", "revoke", id, "--data-dir", dir.toString());
        assertEquals(0, revoked.exit(), revoked.err());
        assertFalse(wrenn("keys", "list", "--data-dir", dir.toString()).out().contains(id));
    }

    @Test
    void mistakesAreOneLineErrorsWithAnExitStatus(@TempDir Path dir) {
        Run bad = wrenn("keys", "revoke", "nope", "--data-dir", dir.toString());
        assertEquals(2, bad.exit());
        assertTrue(bad.err().startsWith("wrenn: ") && bad.err().contains("nope"), bad.err());
        Run unknown = wrenn("keys", "revoke", "key-" + "0".repeat(25), "--data-dir", dir.toString());
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("does not exist"), unknown.err());
        Run noName = wrenn("keys", "create", "--data-dir", dir.toString());
        assertEquals(2, noName.exit());
        assertTrue(noName.err().contains("--name"), noName.err());
        Run noTeam = wrenn("keys", "list", "--team", "ghosts", "--data-dir", dir.toString());
        assertEquals(2, noTeam.exit());
        assertTrue(noTeam.err().contains("ghosts"), noTeam.err());
        Run badDb = wrenn("keys", "list", "--database-url", "postgresql://nobody@127.0.0.1:1/none");
        assertEquals(2, badDb.exit());
        assertTrue(badDb.err().startsWith("wrenn: cannot open the database"), badDb.err());
    }
}
