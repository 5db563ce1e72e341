package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code wrenn users}: the dashboard's users, straight in the installation's database. */
class UsersCommandTest {
    private static CliRun wrenn(String stdin, String... args) {
        InputStream before = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return CliRun.of(Main.commandLine(), args);
        } finally {
            System.setIn(before);
        }
    }

    @Test
    void createMakesAUserInATeamAndListShowsTheirRole(@TempDir Path dir) {
        CliRun created = wrenn("correct horse battery\n", "users", "create", "--email", "Ada@Example.com", "--role", "owner",
                "--password-stdin", "--data-dir", dir.toString());
        assertEquals(0, created.exit(), created.err());
        assertTrue(created.out().matches("user-[0-9a-z]{25}\n"), "only the id on stdout: '" + created.out() + "'");
        assertTrue(created.err().contains("created user ada@example.com in team default as owner"), created.err());

        CliRun bob = wrenn("another good password\n", "users", "create", "--email", "bob@example.com", "--team", "robots",
                "--password-stdin", "--data-dir", dir.toString());
        assertEquals(0, bob.exit(), bob.err());

        CliRun list = wrenn("", "users", "list", "--data-dir", dir.toString());
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.out().contains("ada@example.com") && list.out().contains("default (owner)"), list.out());
        assertTrue(list.out().contains("bob@example.com") && list.out().contains("robots (member)"), list.out());
        assertTrue(!list.out().contains("argon2"), "never a password hash");
    }

    @Test
    void mistakesAreOneLineErrorsNamingWhatIsWrong(@TempDir Path dir) {
        String[] base = {"users", "create", "--password-stdin", "--data-dir", dir.toString(), "--email"};
        assertEquals(0, wrenn("correct horse battery\n", concat(base, "ada@example.com")).exit());
        assertRefused(wrenn("correct horse battery\n", concat(base, "ADA@example.com")), "exists already");
        assertRefused(wrenn("short\n", concat(base, "cy@example.com")), "at least 10 characters");
        assertRefused(wrenn("correct horse battery\n", concat(base, "not-an-email")), "'not-an-email' is not an email address");
        assertRefused(wrenn("correct horse battery\n", concat(base, "dee@example.com", "--role", "admin")),
                "role must be owner or member, not 'admin'");
        assertRefused(wrenn("", concat(base, "eve@example.com")), "standard input is empty");
        assertRefused(wrenn("", "users", "create", "--email", "fay@example.com", "--data-dir", dir.toString()),
                "pass --password-stdin");
    }

    private static void assertRefused(CliRun run, String says) {
        assertEquals(2, run.exit(), run.out() + run.err());
        assertTrue(run.err().startsWith("wrenn: ") && run.err().contains(says), run.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
