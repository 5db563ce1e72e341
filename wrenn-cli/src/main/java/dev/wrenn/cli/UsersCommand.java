package dev.wrenn.cli;

import dev.wrenn.server.auth.Accounts;
import dev.wrenn.server.auth.Authenticator;
import dev.wrenn.server.auth.KeyService;
import dev.wrenn.server.auth.Membership;
import dev.wrenn.server.auth.User;
import dev.wrenn.server.store.ApiKeyStore;
import dev.wrenn.server.store.Database;
import dev.wrenn.server.store.TeamStore;
import dev.wrenn.server.store.UserStore;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code wrenn users}: people who sign in to the dashboard, straight in the installation's database. */
@Command(name = "users", mixinStandardHelpOptions = true, description = "Create and list the users of the dashboard.",
        subcommands = {UsersCommand.Create.class, UsersCommand.ListUsers.class})
final class UsersCommand {

    /** The users of the installation whose database {@code db} is. */
    private static Accounts accounts(Database db) {
        ApiKeyStore keys = new ApiKeyStore(db.dataSource());
        KeyService teams = new KeyService(new TeamStore(db.dataSource()), keys, new Authenticator(keys));
        return new Accounts(new UserStore(db.dataSource()), teams);
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a user in a team (the team is created if it does not exist); prints the user's id.")
    static final class Create implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Option(names = "--email", required = true, paramLabel = "EMAIL", description = "What the user signs in with.")
        String email;
        @Option(names = "--team", paramLabel = "TEAM", defaultValue = "default", description = "Team name (default: ${DEFAULT-VALUE}).")
        String team;
        @Option(names = "--role", paramLabel = "ROLE", defaultValue = "member",
                description = "owner (manages the team's members) or member (default: ${DEFAULT-VALUE}).")
        String role;
        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input"
                + " instead of asking on the terminal.")
        boolean passwordStdin;

        @Override
        public void run() {
            Membership.Role r = Membership.Role.fromWire(role);
            String password = passwordStdin ? firstLineOfStdin() : askTwice();
            try (Database db = store.open()) {
                User u = accounts(db).create(email, password, team, r);
                spec.commandLine().getOut().println(u.id());
                spec.commandLine().getOut().flush();
                spec.commandLine().getErr().println("created user " + u.email() + " in team " + team + " as " + r.wire());
            }
        }

        private static String firstLineOfStdin() {
            try {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (line == null) throw new CliException("--password-stdin: standard input is empty");
                return line;
            } catch (IOException e) {
                throw new CliException("--password-stdin: " + e.getMessage());
            }
        }

        private static String askTwice() {
            Console console = System.console();
            if (console == null) {
                throw new CliException("no terminal to ask for the password on: pass --password-stdin and give it on standard input");
            }
            char[] first = console.readPassword("Password for the new user: ");
            char[] again = console.readPassword("The same again: ");
            try {
                if (first == null || again == null || !Arrays.equals(first, again)) throw new CliException("the passwords differ");
                return new String(first);
            } finally {
                if (first != null) Arrays.fill(first, ' ');
                if (again != null) Arrays.fill(again, ' ');
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the users and their teams.")
    static final class ListUsers implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;

        @Override
        public void run() {
            try (Database db = store.open()) {
                Accounts accounts = accounts(db);
                PrintWriter out = spec.commandLine().getOut();
                new Table<User>()
                        .column("ID", User::id)
                        .column("EMAIL", User::email)
                        .column("CREATED", u -> Instant.ofEpochSecond(u.createdAt() / 1000))
                        .column("TEAMS", u -> accounts.memberships(u.id()).stream()
                                .map(m -> m.team().name() + " (" + m.role().wire() + ")").collect(Collectors.joining(", ")))
                        .print(accounts.list(), out);
                out.flush();
            }
        }
    }
}
