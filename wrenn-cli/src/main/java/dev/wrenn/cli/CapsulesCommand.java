package dev.wrenn.cli;

import dev.wrenn.sdk.CapsuleFilter;
import dev.wrenn.sdk.CapsuleInfo;
import dev.wrenn.sdk.CapsuleStatus;
import dev.wrenn.sdk.CreateCapsuleParams;
import dev.wrenn.sdk.NetworkPolicy;
import dev.wrenn.sdk.PortAccess;
import dev.wrenn.sdk.WrennClient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/** {@code wrenn capsules}: the capsule lifecycle over the API. */
@Command(name = "capsules", mixinStandardHelpOptions = true,
        description = "Create, list, inspect, pause, resume, ping and destroy capsules, run commands and open shells in them.",
        subcommands = {CapsulesCommand.Create.class, CapsulesCommand.ListCapsules.class, CapsulesCommand.Get.class,
                CapsulesCommand.Pause.class, CapsulesCommand.Resume.class, CapsulesCommand.Ping.class,
                CapsulesCommand.Destroy.class, CapsulesCommand.Network.class, CapsulesCommand.Url.class, ExecCommand.class,
                ShellCommand.class})
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
        @Mixin
        NetworkOptions network;
        @Option(names = "--port-access", paramLabel = "public|token", converter = PortAccessConverter.class,
                description = "token: requests to its ports must carry its traffic_token (server default: public).")
        PortAccess portAccess;
        @Option(names = "--auto-resume", description = "A request to one of its ports resumes it when it is paused.")
        boolean autoResume;

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
            if (network.noInternet) b.allowInternet(false);
            b.allowOut(network.allowOut.toArray(String[]::new)).denyOut(network.denyOut.toArray(String[]::new));
            if (portAccess != null) b.portAccess(portAccess);
            if (autoResume) b.autoResume(true);
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

    /** What a capsule may reach, for create and network (api.md §8). */
    static final class NetworkOptions {
        @Option(names = "--no-internet", description = "Cut it off from the internet: only --allow-out is reachable.")
        boolean noInternet;
        @Option(names = "--allow-out", paramLabel = "CIDR|DOMAIN",
                description = "Reachable even without the internet, e.g. 10.1.0.0/16 or pypi.org or *.example.com (repeatable).")
        List<String> allowOut = new ArrayList<>();
        @Option(names = "--deny-out", paramLabel = "CIDR|DOMAIN", description = "Never reachable; wins over --allow-out (repeatable).")
        List<String> denyOut = new ArrayList<>();

        NetworkPolicy policy() {
            return new NetworkPolicy(!noInternet, allowOut, denyOut);
        }
    }

    /** public or token, as the API writes them. */
    static final class PortAccessConverter implements ITypeConverter<PortAccess> {
        @Override
        public PortAccess convert(String value) {
            PortAccess a = PortAccess.fromWire(value.strip());
            if (a == PortAccess.UNKNOWN) throw new TypeConversionException("'" + value + "' is not one of public, token");
            return a;
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

    @Command(name = "network", mixinStandardHelpOptions = true,
            description = "Replace what a running or paused capsule may reach and print it. The options are the whole new"
                    + " policy: without any, the internet and nothing denied.")
    static final class Network extends OneCapsule {
        @Mixin
        NetworkOptions network;

        @Override
        int run(WrennClient client) {
            printer().object(Views.CAPSULE, client.capsules().updateNetwork(id, network.policy()));
            return 0;
        }
    }

    @Command(name = "url", mixinStandardHelpOptions = true,
            description = "Print the URL of a port of a capsule through the server's port proxy (http, or ws with --ws).")
    static final class Url extends OneCapsule {
        @Parameters(index = "1", paramLabel = "PORT", description = "The port a service listens on in the capsule.")
        int port;
        @Option(names = "--ws", description = "The WebSocket form (ws:// or wss://), as the SDKs' getUrl gives it.")
        boolean ws;

        @Override
        int run(WrennClient client) {
            String url = client.capsules().getUrl(id, port);
            printer().line(ws ? url : url.replaceFirst("^ws", "http"));
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
