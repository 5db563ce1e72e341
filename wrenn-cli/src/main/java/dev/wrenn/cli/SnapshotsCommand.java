package dev.wrenn.cli;

import dev.wrenn.sdk.Template;
import dev.wrenn.sdk.WrennClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code wrenn snapshots}: templates made from capsules, which new capsules start from. */
@Command(name = "snapshots", mixinStandardHelpOptions = true,
        description = "Snapshot capsules into templates, list templates, delete them.",
        subcommands = {SnapshotsCommand.Create.class, SnapshotsCommand.ListTemplates.class, SnapshotsCommand.Delete.class})
final class SnapshotsCommand {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Snapshot a running or paused capsule into a template and print it; a running one keeps running.")
    static final class Create extends ClientCommand {
        @Parameters(paramLabel = "CAPSULE_ID", description = "The capsule to snapshot (cl-...).")
        String capsuleId;
        @Option(names = "--name", paramLabel = "NAME", description = "The template's name (default: template- and 8 hex digits).")
        String name;
        @Option(names = "--overwrite", description = "Replace the team's template of that name.")
        boolean overwrite;

        @Override
        int run(WrennClient client) {
            String label = "Snapshotting " + capsuleId + (name == null ? "" : " as " + name);
            Template t = progress().run(label, () -> client.snapshots().create(capsuleId, name, overwrite));
            printer().object(Views.TEMPLATE, t);
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the built-in templates and the team's snapshots, newest first.")
    static final class ListTemplates extends ClientCommand {
        @Override
        int run(WrennClient client) {
            printer().list(Views.TEMPLATE, Views.TEMPLATE_TABLE, client.snapshots().list());
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a team template; capsules created from it keep working.")
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "The template's name.")
        String name;

        @Override
        int run(WrennClient client) {
            client.snapshots().delete(name);
            note("deleted " + name);
            return 0;
        }
    }
}
