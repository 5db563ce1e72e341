package dev.wrenn.host.net;

import dev.wrenn.host.storage.Commands;
import java.io.IOException;
import java.nio.file.Path;

/** The host tools that set namespaces up: iproute2's {@code ip}, {@code nft}, {@code sysctl}, {@code nsenter}. */
final class NetTools {
    private NetTools() {
    }

    /** {@code ip -batch}: one process for many commands in the host's namespace. */
    static void ip(String batch) throws IOException {
        Commands.runWithInput(null, batch, "ip", "-batch", "-");
    }

    /** {@code ip -batch} inside namespace {@code ns}. */
    static void ipIn(String ns, String batch) throws IOException {
        Commands.runWithInput(null, batch, "ip", "-n", ns, "-batch", "-");
    }

    static String ipOutput(String... args) throws IOException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "ip";
        System.arraycopy(args, 0, cmd, 1, args.length);
        return Commands.run(null, cmd);
    }

    /** Loads an nft script in the host's namespace, as one transaction. */
    static void nft(String script) throws IOException {
        Commands.runWithInput(null, script, "nft", "-f", "-");
    }

    /** Loads an nft script inside a namespace, as one transaction. */
    static void nftIn(Path netns, String script) throws IOException {
        Commands.runWithInput(null, script, "nsenter", "--net=" + netns, "nft", "-f", "-");
    }

    /** Sets sysctls inside a namespace and then loads an nft script there: one process chain for both. */
    static void sysctlAndNftIn(Path netns, String sysctls, String script) throws IOException {
        Commands.runWithInput(null, script, "nsenter", "--net=" + netns, "sh", "-c",
                "sysctl -q -w " + sysctls + " && exec nft -f -");
    }
}
