package dev.wrenn.cli;

import dev.wrenn.sdk.WrennClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that calls the API through the SDK: it gets the shared options, one client for its run
 * (closed after), and where its result, progress and notes go. Its return value is the exit status.
 */
abstract class ClientCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options;

    @Override
    public final Integer call() {
        try (WrennClient client = options.client()) {
            return run(client);
        }
    }

    /** @return the exit status */
    abstract int run(WrennClient client);

    Printer printer() {
        return new Printer(spec.commandLine().getOut(), options.json());
    }

    /** Environment variables, stdin, whether a person watches. */
    CliEnvironment environment() {
        return options.environment();
    }

    Progress progress() {
        return new Progress(spec.commandLine().getErr(), environment().interactive());
    }

    /** A confirmation for people, on stderr: stdout carries only results, which void operations lack. */
    void note(String line) {
        spec.commandLine().getErr().println(line);
        spec.commandLine().getErr().flush();
    }
}
