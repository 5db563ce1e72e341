package dev.wrenn.cli;

import dev.wrenn.server.Clock;
import dev.wrenn.server.auth.ApiKey;
import dev.wrenn.server.auth.Authenticator;
import dev.wrenn.server.auth.KeyService;
import dev.wrenn.server.auth.Team;
import dev.wrenn.server.store.ApiKeyStore;
import dev.wrenn.server.store.Database;
import dev.wrenn.server.store.TeamStore;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code wrenn keys}: API keys, straight in the installation's database (works with the server running or not). */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Create, list and revoke API keys.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand {

    /** The installation's database, opened for one command. */
    private record Session(Database db, KeyService keys) implements AutoCloseable {
        static Session open(StoreOptions store) {
            Database db = store.open();
            ApiKeyStore keys = new ApiKeyStore(db.dataSource());
            return new Session(db, new KeyService(new TeamStore(db.dataSource()), keys, new Authenticator(keys)));
        }

        @Override
        public void close() {
            db.close();
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a key and print it (only the key, on stdout); the team is created if it does not exist.")
    static final class Create implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "What the key is for.")
        String name;
        @Option(names = "--team", paramLabel = "TEAM", defaultValue = Team.DEFAULT_NAME,
                description = "Team name (default: ${DEFAULT-VALUE}).")
        String team;

        @Override
        public void run() {
            try (Session session = Session.open(store)) {
                KeyService keys = session.keys();
                KeyService.NewKey k = keys.create(keys.team(team).id(), name);
                spec.commandLine().getOut().println(k.secret());
                spec.commandLine().getOut().flush();
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the live keys (never their secrets).")
    static final class ListKeys implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Option(names = "--team", paramLabel = "TEAM", description = "Only this team's keys.")
        String team;

        @Override
        public void run() {
            try (Session session = Session.open(store)) {
                KeyService keys = session.keys();
                List<ApiKey> list;
                if (team != null) {
                    Team t = keys.findTeam(team).orElseThrow(() -> new CliException("no team named '" + team + "'"));
                    list = keys.list(t.id());
                } else {
                    list = keys.listAll();
                }
                Map<String, String> teamNames = list.stream().map(ApiKey::teamId).distinct()
                        .collect(Collectors.toMap(Function.identity(),
                                id -> keys.teamById(id).map(Team::name).orElse(id)));
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%-29s  %-12s  %-20s  %-20s  %-20s  %s%n", "ID", "PREFIX", "TEAM", "CREATED", "LAST USED", "NAME");
                for (ApiKey k : list) {
                    out.printf("%-29s  %-12s  %-20s  %-20s  %-20s  %s%n", k.id(), k.keyPrefix(), teamNames.get(k.teamId()),
                            time(k.createdAt()), k.lastUsedAt() == null ? "never" : time(k.lastUsedAt()), k.name());
                }
                out.flush();
            }
        }

        private static String time(long millis) {
            return Instant.ofEpochSecond(millis / 1000).toString();
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key: it is refused from then on.")
    static final class Revoke implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Parameters(paramLabel = "ID", description = "The key's id (key-...).")
        String id;

        @Override
        public void run() {
            try (Session session = Session.open(store)) {
                session.keys().revokeAny(id);
                spec.commandLine().getErr().println("revoked " + id + " at " + Instant.ofEpochMilli(Clock.millis()));
            }
        }
    }
}
