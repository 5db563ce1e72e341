package dev.wrenn.cli;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.CapsuleCommands;
import dev.wrenn.sdk.CommandResult;
import dev.wrenn.sdk.RunOptions;
import dev.wrenn.sdk.WrennClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code wrenn capsules exec}: a foreground command in a capsule, its output and exit status passed through. */
@Command(name = "exec", mixinStandardHelpOptions = true,
        description = {"Run a command in a capsule; print its stdout and stderr as they are and exit with its exit code "
                + "(124 when --timeout killed it). A paused capsule is resumed first.",
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
            description = "Kill the command after this long; 0 for no limit (server default: 30).")
    Integer timeoutSec;

    @Override
    int run(WrennClient client) {
        // The SDK's only way to a handle for an existing id; it resumes a paused capsule (and waits for a
        // starting one). Never close the handle: closing a Capsule destroys it.
        CapsuleCommands commands = Capsule.connect(client, id).commands();
        CommandResult result = isShellLine() ? commands.run(command.get(0), runOptions()) : commands.run(command, runOptions());
        if (options.json()) {
            printer().object(Views.COMMAND_RESULT, result);
        } else {
            ByteWriter.writeExact(spec.commandLine().getOut(), result.stdoutBytes());
            ByteWriter.writeExact(spec.commandLine().getErr(), result.stderrBytes());
        }
        return result.timedOut() ? 124 : result.exitCode();
    }

    private boolean isShellLine() {
        return command.size() == 1 && command.get(0).chars().anyMatch(Character::isWhitespace);
    }

    private RunOptions runOptions() {
        RunOptions.Builder b = RunOptions.builder().cwd(cwd);
        if (env != null) b.env(env);
        if (timeoutSec != null) b.timeout(Duration.ofSeconds(timeoutSec));
        return b.build();
    }
}
