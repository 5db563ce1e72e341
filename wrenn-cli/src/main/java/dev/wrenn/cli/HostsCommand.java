package dev.wrenn.cli;

import dev.wrenn.server.hosts.HostRegistry;
import dev.wrenn.server.hosts.RegisteredHost;
import dev.wrenn.server.store.CapsuleStore;
import dev.wrenn.server.store.Database;
import dev.wrenn.server.store.HostStore;
import dev.wrenn.server.capsule.CapsuleStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
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
    private record Session(Database db, HostRegistry hosts, CapsuleStore capsules) implements AutoCloseable {
        static Session open(StoreOptions store) {
            Database db = store.open();
            CapsuleStore capsules = new CapsuleStore(db.dataSource(), false, null);
            return new Session(db, new HostRegistry(new HostStore(db.dataSource()), capsules), capsules);
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
            description = {"Place no new capsules on a host; a control plane pauses its running capsules (resumed only once"
                    + " the drain is undone or they moved) and, with --move, moves its paused capsules to other hosts.",
                    "--undo: place capsules there again."})
    static final class Drain implements Runnable {
        private static final Duration POLL = Duration.ofSeconds(1);

        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Parameters(paramLabel = "HOST", description = "The host's id or name.")
        String host;
        @Option(names = "--undo", description = "Take the host back into placement.")
        boolean undo;
        @Option(names = "--move", description = "Also move the host's paused capsules to other hosts (they stay paused).")
        boolean move;
        @Option(names = "--wait", description = "Wait until the host holds no running capsule (with --move: no capsule at all).")
        boolean await;
        @Option(names = "--timeout-sec", paramLabel = "N", defaultValue = "600",
                description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
        int timeoutSec;

        @Override
        public void run() {
            if (undo && (move || await)) throw new CliException("--undo goes alone: it ends the drain");
            PrintWriter err = spec.commandLine().getErr();
            try (Session session = Session.open(store)) {
                RegisteredHost h = session.hosts().drain(host, undo ? RegisteredHost.Drain.NONE
                        : move ? RegisteredHost.Drain.MOVE : RegisteredHost.Drain.PAUSE);
                err.println((undo ? "undrained " : "draining ") + h.name() + " (" + h.id() + ")" + (undo ? ""
                        : move ? ": its running capsules are paused and all move to other hosts"
                        : ": its running capsules are paused"));
                err.flush();
                if (await) awaitEmptied(session, h, err);
            }
        }

        /** Polls the host's capsules until the drain has done its part, printing what is left when it changes. */
        private void awaitEmptied(Session session, RegisteredHost h, PrintWriter err) {
            long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSec).toNanos();
            String last = null;
            while (true) {
                int running = session.capsules().listByStatus(h.id(), EnumSet.of(CapsuleStatus.RUNNING, CapsuleStatus.PENDING,
                        CapsuleStatus.STARTING)).size();
                int paused = session.capsules().listByStatus(h.id(), EnumSet.of(CapsuleStatus.PAUSED)).size();
                String now = running + " running, " + paused + " paused";
                if (!now.equals(last)) {
                    err.println(h.name() + ": " + now);
                    err.flush();
                    last = now;
                }
                if (running == 0 && (!move || paused == 0)) return;
                if (System.nanoTime() > deadline) {
                    throw new CliException("the drain of " + h.name() + " has not finished after " + timeoutSec + " s (" + now
                            + "); is a control plane running? `wrenn hosts list` shows the host");
                }
                try {
                    Thread.sleep(POLL);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
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
