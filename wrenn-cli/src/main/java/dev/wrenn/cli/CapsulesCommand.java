package dev.wrenn.cli;

import dev.wrenn.sdk.CapsuleFilter;
import dev.wrenn.sdk.CapsuleInfo;
import dev.wrenn.sdk.CapsuleStatus;
import dev.wrenn.sdk.CreateCapsuleParams;
import dev.wrenn.sdk.WrennClient;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/** {@code wrenn capsules}: the capsule lifecycle over the API. */
@Command(name = "capsules", mixinStandardHelpOptions = true,
        description = "Create, list, inspect, pause, resume, ping and destroy capsules, run commands and open shells in them.",
        subcommands = {CapsulesCommand.Create.class, CapsulesCommand.ListCapsules.class, CapsulesCommand.Get.class,
                CapsulesCommand.Pause.class, CapsulesCommand.Resume.class, CapsulesCommand.Ping.class,
                CapsulesCommand.Destroy.class, ExecCommand.class, ShellCommand.class})
final class CapsulesCommand {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a capsule and print it; by default wait until it runs. Unset options take the server's defaults.")
    static final class Create extends ClientCommand {
        @Option(names = "--template", paramLabel = "NAME", description = "Built-in template or snapshot (server default: minimal).")
        String template;
        @Option(names = "--vcpus", paramLabel = "N", description = "Virtual CPUs (server default: 1).")
        Integer vcpus;
        @Option(names = "--memory-mb", paramLabel = "N", description = "Memory in MiB (server default: 512).")
        Integer memoryMb;
        @Option(names = "--timeout-sec", paramLabel = "N",
                description = "Seconds without activity before it is paused; 0 never (server default: 0).")
        Integer timeoutSec;
        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "A string pair to attach (repeatable).")
        Map<String, String> metadata;
        @Option(names = "--wait", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Wait until it runs (default: ${DEFAULT-VALUE}); --no-wait returns it pending.")
        boolean wait;

        @Override
        int run(WrennClient client) {
            CreateCapsuleParams params = params();
            CapsuleInfo capsule = wait
                    ? progress().run("Creating capsule" + (template == null ? "" : " from " + template),
                            () -> client.capsules().create(params, true))
                    : client.capsules().create(params, false);
            printer().object(Views.CAPSULE, capsule);
            return 0;
        }

        private CreateCapsuleParams params() {
            CreateCapsuleParams.Builder b = CreateCapsuleParams.builder().template(template);
            if (vcpus != null) b.vcpus(vcpus);
            if (memoryMb != null) b.memoryMb(memoryMb);
            if (timeoutSec != null) b.timeoutSec(timeoutSec);
            if (metadata != null) b.metadata(metadata);
            return b.build();
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the team's capsules, newest first.")
    static final class ListCapsules extends ClientCommand {
        @Option(names = "--status", split = ",", paramLabel = "STATUS", converter = StatusConverter.class,
                description = "Only these statuses, e.g. running,paused.")
        Set<CapsuleStatus> statuses;

        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "Only capsules carrying this pair (repeatable).")
        Map<String, String> metadata;

        @Override
        int run(WrennClient client) {
            CapsuleFilter filter = new CapsuleFilter(statuses, metadata);
            List<CapsuleInfo> capsules = client.capsules().list(filter);
            printer().list(Views.CAPSULE, Views.CAPSULE_TABLE, capsules);
            return 0;
        }
    }

    /** Statuses as the API writes them; an unknown one is a usage error rather than an empty listing. */
    static final class StatusConverter implements ITypeConverter<CapsuleStatus> {
        @Override
        public CapsuleStatus convert(String value) {
            CapsuleStatus s = CapsuleStatus.fromWire(value.strip());
            if (s == CapsuleStatus.UNKNOWN) {
                throw new TypeConversionException("'" + value + "' is not a status; one of " + Arrays.stream(CapsuleStatus.values())
                        .filter(v -> v != CapsuleStatus.UNKNOWN).map(CapsuleStatus::wire).collect(Collectors.joining(", ")));
            }
            return s;
        }
    }

    /** A command on one capsule, named by its id. */
    abstract static class OneCapsule extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The capsule's id (cl-...).")
        String id;
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print one capsule.")
    static final class Get extends OneCapsule {
        @Override
        int run(WrennClient client) {
            printer().object(Views.CAPSULE, client.capsules().get(id));
            return 0;
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Pause a running capsule to disk (nothing is lost) and print it.")
    static final class Pause extends OneCapsule {
        @Override
        int run(WrennClient client) {
            printer().object(Views.CAPSULE, progress().run("Pausing " + id, () -> client.capsules().pause(id)));
            return 0;
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Resume a paused capsule where it was paused and print it.")
    static final class Resume extends OneCapsule {
        @Override
        int run(WrennClient client) {
            printer().object(Views.CAPSULE, progress().run("Resuming " + id, () -> client.capsules().resume(id)));
            return 0;
        }
    }

    @Command(name = "ping", mixinStandardHelpOptions = true,
            description = "Reset a running capsule's inactivity timer, so auto-pause counts from now.")
    static final class Ping extends OneCapsule {
        @Override
        int run(WrennClient client) {
            client.capsules().ping(id);
            note("pinged " + id);
            return 0;
        }
    }

    @Command(name = "destroy", mixinStandardHelpOptions = true,
            description = "Destroy a capsule for good (its files too); destroying a stopped one does nothing.")
    static final class Destroy extends OneCapsule {
        @Override
        int run(WrennClient client) {
            client.capsules().destroy(id);
            note("destroyed " + id);
            return 0;
        }
    }
}
