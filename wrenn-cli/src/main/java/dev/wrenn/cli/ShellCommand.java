package dev.wrenn.cli;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.PtyOptions;
import dev.wrenn.sdk.Terminal;
import dev.wrenn.sdk.WrennClient;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wrenn capsules shell}: this terminal becomes a terminal in the capsule until its shell exits. */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = {"Open an interactive terminal in a capsule (bash, else sh), with this terminal's size, following its "
                + "resizes; exit with the remote shell's exit status. Ctrl-D or `exit` ends it. A paused capsule is resumed first.",
                "Every key goes to the capsule, Ctrl-C included; this terminal is put back as it was when the shell ends."})
final class ShellCommand extends CapsulesCommand.OneCapsule {
    @Option(names = "--cmd", paramLabel = "PROGRAM", description = "Run this program instead of the shell, e.g. python3.")
    String program;

    @Override
    int run(WrennClient client) {
        // resumes a paused capsule; never closed: closing a Capsule destroys it
        Capsule capsule = Capsule.connect(client, id);
        LocalTerminal.Size size = LocalTerminal.size();
        PtyOptions.Builder options = PtyOptions.builder().size(size.cols(), size.rows());
        if (program != null) options.cmd(program);
        PrintWriter out = spec.commandLine().getOut();
        try (Terminal remote = capsule.pty(options.build(), data -> ByteWriter.writeExact(out, data));
             LocalTerminal local = LocalTerminal.raw(resized -> remote.resizeAsync(resized.cols(), resized.rows()))) {
            InputForwarder.start(environment().stdin(), remote::write, () -> { });
            return remote.waitFor();
        }
    }
}
