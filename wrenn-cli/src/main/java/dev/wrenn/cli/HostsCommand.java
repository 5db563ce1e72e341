package dev.wrenn.cli;

import dev.wrenn.server.hosts.HostRegistry;
import dev.wrenn.server.hosts.RegisteredHost;
import dev.wrenn.server.store.CapsuleStore;
import dev.wrenn.server.store.Database;
import dev.wrenn.server.store.HostStore;
import java.io.PrintWriter;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code wrenn hosts}: host agents on other machines, straight in the installation's database. */
@Command(name = "hosts", mixinStandardHelpOptions = true,
        description = "Add, list, drain and remove host agents on other machines (wrenn agent).",
        subcommands = {HostsCommand.Add.class, HostsCommand.ListHosts.class, HostsCommand.Drain.class,
                HostsCommand.Remove.class})
final class HostsCommand {
    private record Session(Database db, HostRegistry hosts) implements AutoCloseable {
        static Session open(StoreOptions store) {
            Database db = Database.open(store.databaseUrl(), store.dataDir().resolve("wrenn.db"));
            CapsuleStore capsules = new CapsuleStore(db.dataSource(), db.kind() == Database.Kind.SQLITE, null);
            return new Session(db, new HostRegistry(new HostStore(db.dataSource()), capsules));
        }

        @Override
        public void close() {
            db.close();
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a host and print its token (only the token, on stdout; shown this once).")
    static final class Add implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Parameters(paramLabel = "NAME", description = "The host's name (lowercase letters, digits, dots, dashes).")
        String name;

        @Override
        public void run() {
            try (Session session = Session.open(store)) {
                HostRegistry.NewHost added = session.hosts().add(name);
                spec.commandLine().getOut().println(added.token());
                spec.commandLine().getOut().flush();
                spec.commandLine().getErr().println("added host " + added.host().name() + " (" + added.host().id()
                        + "); on that machine run: wrenn agent --control-plane URL --token TOKEN");
                spec.commandLine().getErr().flush();
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the hosts with their state and capacity.")
    static final class ListHosts implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;

        @Override
        public void run() {
            try (Session session = Session.open(store)) {
                HostRegistry hosts = session.hosts();
                PrintWriter out = spec.commandLine().getOut();
                new Table<RegisteredHost>()
                        .column("ID", RegisteredHost::id)
                        .column("NAME", RegisteredHost::name)
                        .column("STATUS", RegisteredHost::status)
                        .column("ADDRESS", RegisteredHost::address)
                        .column("CPUS", h -> h.registeredAt() == null ? null : h.capacity().cpus())
                        .column("MEM FREE MB", h -> h.registeredAt() == null ? null : h.capacity().memoryFreeMb())
                        .column("DISK FREE MB", h -> h.registeredAt() == null ? null : h.capacity().diskFreeMb())
                        .column("VMS", h -> h.registeredAt() == null ? null : h.capacity().vms())
                        .column("LAST SEEN", h -> h.lastSeenAt() == null ? "never" : Instant.ofEpochSecond(h.lastSeenAt() / 1000))
                        .print(hosts.list(), out);
                out.flush();
            }
        }
    }

    @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "Place no new capsules on a host (--undo: place them there again).")
    static final class Drain implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Parameters(paramLabel = "HOST", description = "The host's id or name.")
        String host;
        @Option(names = "--undo", description = "Take the host back into placement.")
        boolean undo;

        @Override
        public void run() {
            try (Session session = Session.open(store)) {
                RegisteredHost h = session.hosts().drain(host, !undo);
                spec.commandLine().getErr().println((undo ? "undrained " : "draining ") + h.name() + " (" + h.id() + ")");
            }
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Forget a host that holds no capsule; its token stops working and its agent stops.")
    static final class Remove implements Runnable {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Parameters(paramLabel = "HOST", description = "The host's id or name.")
        String host;

        @Override
        public void run() {
            try (Session session = Session.open(store)) {
                RegisteredHost h = session.hosts().find(host);
                session.hosts().remove(host);
                spec.commandLine().getErr().println("removed " + h.name() + " (" + h.id() + ")");
            }
        }
    }
}
