package dev.wrenn.cli;

import dev.wrenn.server.Version;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.store.DatabaseUnavailableException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code wrenn} command. */
@Command(name = "wrenn", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        description = "Self-hostable microVM sandboxes (capsules) behind a REST API.",
        subcommands = {ServerCommand.class, KeysCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof CliException || e instanceof ApiException || e instanceof IllegalArgumentException
                    || e instanceof DatabaseUnavailableException) {
                cmd.getErr().println("wrenn: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cl;
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"wrenn " + Version.get()};
        }
    }
}
