package dev.wrenn.cli;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.CapsuleCommands;
import dev.wrenn.sdk.CommandResult;
import dev.wrenn.sdk.CommandStream;
import dev.wrenn.sdk.OutputHandler;
import dev.wrenn.sdk.RunOptions;
import dev.wrenn.sdk.WrennClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code wrenn capsules exec}: a command in a capsule, its output printed as it comes and its exit
 * status passed through; a pipe or file on this command's stdin becomes the command's stdin.
 */
@Command(name = "exec", mixinStandardHelpOptions = true,
        description = {"Run a command in a capsule; print its stdout and stderr as they come, byte for byte, and exit with "
                + "its exit code (124 when --timeout killed it). A paused capsule is resumed first.",
                "When stdin is a pipe or a file, it is passed to the command (which reads end of file where it ends); "
                + "a terminal's is not.",
                "One CMD with spaces and no ARGS is a shell line (/bin/sh -c); otherwise CMD runs with ARGS, without a shell.",
                "Put -- before CMD when it has options: exec ID -- ls -l /"})
final class ExecCommand extends CapsulesCommand.OneCapsule {
    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The program and its arguments, or one shell line.")
    List<String> command;

    @Option(names = "--env", paramLabel = "KEY=VALUE", description = "An environment variable for the command (repeatable).")
    Map<String, String> env;

    @Option(names = "--cwd", paramLabel = "DIR", description = "Working directory (default: the user's home).")
    String cwd;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Kill the command after this long (default: no limit; Ctrl-C ends it too).")
    Integer timeoutSec;

    @Override
    int run(WrennClient client) {
        // The SDK's only way to a handle for an existing id; it resumes a paused capsule (and waits for a
        // starting one). Never close the handle: closing a Capsule destroys it.
        CapsuleCommands commands = Capsule.connect(client, id).commands();
        if (options.json()) {
            // a JSON document is printed whole, so the collected form is the one it needs
            CommandResult result = commands.run(argv(), runOptions());
            printer().object(Views.COMMAND_RESULT, result);
            return result.exitCode();
        }
        try (CommandStream running = commands.stream(argv(), runOptions(), passThrough())) {
            if (environment().stdinIsTerminal()) {
                running.closeStdin(); // a person's keys belong to `shell`; here the command reads end of file
            } else {
                InputForwarder.start(environment().stdin(), running::writeStdin, running::closeStdin);
            }
            return running.waitFor();
        }
    }

    /** The command's output to this command's stdout and stderr, exactly as it comes. */
    private OutputHandler passThrough() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        return new OutputHandler() {
            @Override
            public void onStdout(byte[] data) {
                ByteWriter.writeExact(out, data);
            }

            @Override
            public void onStderr(byte[] data) {
                ByteWriter.writeExact(err, data);
            }
        };
    }

    /** A lone argument with spaces is a shell line: it runs under {@code /bin/sh -c}. */
    private List<String> argv() {
        boolean shellLine = command.size() == 1 && command.get(0).chars().anyMatch(Character::isWhitespace);
        return shellLine ? List.of("/bin/sh", "-c", command.get(0)) : command;
    }

    private RunOptions runOptions() {
        RunOptions.Builder b = RunOptions.builder().cwd(cwd);
        if (env != null) b.env(env);
        b.timeout(timeoutSec == null ? Duration.ZERO : Duration.ofSeconds(timeoutSec));
        return b.build();
    }
}
