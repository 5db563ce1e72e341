package dev.wrenn.cli;

import dev.wrenn.sdk.WrennException;
import dev.wrenn.server.Version;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.store.DatabaseUnavailableException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code wrenn} command. */
@Command(name = "wrenn", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = "Self-hostable microVM sandboxes (capsules) behind a REST API.",
        subcommands = {ServerCommand.class, AgentCommand.class, KeysCommand.class, UsersCommand.class, HostsCommand.class, CapsulesCommand.class, SnapshotsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    /** Exit status of a failed API call (picocli keeps 2 for usage mistakes). */
    static final int API_ERROR = 1;

    public static void main(String[] args) {
        CommandLine cl = commandLine();
        // byte-transparent, so exec passes a capsule's output through exactly
        cl.setOut(new ByteWriter(System.out));
        cl.setErr(new ByteWriter(System.err));
        System.exit(cl.execute(args));
    }

    static CommandLine commandLine() {
        return commandLine(CliEnvironment.system());
    }

    /** @param environment where client commands read WRENN_API_KEY and WRENN_BASE_URL, and whether a terminal is attached */
    static CommandLine commandLine(CliEnvironment environment) {
        CommandLine cl = new CommandLine(new Main(), new CliFactory(environment));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof WrennException w) {
                return fail(cmd, oneLine(w.getMessage()) + (w.requestId() == null ? "" : " (request " + w.requestId() + ")"),
                        API_ERROR);
            }
            if (e instanceof CliException || e instanceof ApiException || e instanceof IllegalArgumentException
                    || e instanceof DatabaseUnavailableException) {
                return fail(cmd, oneLine(e.getMessage()), CommandLine.ExitCode.USAGE);
            }
            throw e;
        });
        return cl;
    }

    private static int fail(CommandLine cmd, String message, int status) {
        cmd.getErr().println("wrenn: " + message);
        cmd.getErr().flush();
        return status;
    }

    /** Error messages go on one line, so scripts and logs can take the line as the whole error. */
    private static String oneLine(String message) {
        return message == null ? "failed" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"wrenn " + Version.get()};
        }
    }
}
