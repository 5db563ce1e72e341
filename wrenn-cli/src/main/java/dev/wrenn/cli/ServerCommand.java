package dev.wrenn.cli;

import dev.wrenn.host.HostAgent;
import dev.wrenn.host.HostConfig;
import dev.wrenn.server.ServerConfig;
import dev.wrenn.server.WrennServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code wrenn server}: the control plane with its embedded host agent, until SIGTERM or SIGINT. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Serve the REST API over capsules on this machine (SQLite in the data dir by default).")
final class ServerCommand implements Callable<Integer> {
    /** How long a stop signal during the start waits for it (recovery of many capsules takes a while). */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Option(names = "--port", paramLabel = "N", defaultValue = "${env:WRENN_PORT:-8080}",
            description = "TCP port of the API (default: ${DEFAULT-VALUE}; env WRENN_PORT).")
    int port;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "${env:WRENN_HOST:-0.0.0.0}",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--max-vcpus", defaultValue = "8", description = "Largest vcpus a capsule may ask for (default: ${DEFAULT-VALUE}).")
    int maxVcpus;

    @Option(names = "--max-memory-mb", defaultValue = "16384", description = "Largest memory_mb a capsule may ask for (default: ${DEFAULT-VALUE}).")
    int maxMemoryMb;

    @Option(names = "--memory-reserve-mb", description = "Free host memory admission keeps: a create or resume that would"
            + " leave less first pauses the coldest idle capsules with auto-pause, else gets 503 (default: 5% of the host's"
            + " memory, at least 512).")
    Long memoryReserveMb;

    @Option(names = "--vcpu-overcommit", defaultValue = "0", description = "Also limit the vCPUs capsules ask for together"
            + " to this many per host CPU (0: no such limit, admission goes by real use; default: ${DEFAULT-VALUE}).")
    double vcpuOvercommit;

    @Option(names = "--memory-overcommit", defaultValue = "0", description = "Also limit the memory_mb capsules ask for"
            + " together to this factor on the host's memory (0: no such limit; default: ${DEFAULT-VALUE}).")
    double memoryOvercommit;

    @Option(names = "--team-capsule-limit", defaultValue = "0",
            description = "Capsules one team may have pending, starting or running (0: no limit; default: ${DEFAULT-VALUE}).")
    int teamLimit;

    @Option(names = "--key-rate-limit", defaultValue = "0",
            description = "Requests per second one API key may make; over it 429 (0: no limit; default: ${DEFAULT-VALUE}).")
    double keyRateLimit;

    @Option(names = "--stopped-retention-days", defaultValue = "7",
            description = "Days the records of stopped capsules are kept (default: ${DEFAULT-VALUE}).")
    int retentionDays;

    @Option(names = "--proxy-domain", paramLabel = "DOMAIN", defaultValue = "${env:WRENN_PROXY_DOMAIN}",
            description = "Port URLs are http://PORT-CAPSULE_ID.DOMAIN (default: under any host name, e.g."
                    + " PORT-CAPSULE_ID.localhost; env WRENN_PROXY_DOMAIN).")
    String proxyDomain;

    @Option(names = "--embedded-host", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run capsules on this machine too, in this process (default: ${DEFAULT-VALUE});"
                    + " --no-embedded-host: only on host agents registered with `wrenn hosts add` and `wrenn agent`.")
    boolean embeddedHost;

    @Option(names = "--host-timeout-sec", defaultValue = "15",
            description = "A host agent on another machine not heard from for this long is unreachable (default: ${DEFAULT-VALUE}).")
    int hostTimeoutSec;

    @Option(names = "--prepare-templates", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Boot the built-in templates at start rather than at the first create (default: ${DEFAULT-VALUE}).")
    boolean prepareTemplates;

    @Override
    public Integer call() throws Exception {
        ServerConfig.Builder builder = ServerConfig.builder(store.dataDir());
        if (memoryReserveMb != null) builder.memoryReserveMb(memoryReserveMb);
        ServerConfig config = builder
                .databaseUrl(store.databaseUrl())
                .port(port)
                .bindHost(host)
                .repoDir(repoDir())
                .maxVcpus(maxVcpus)
                .maxMemoryMb(maxMemoryMb)
                .vcpuOvercommit(vcpuOvercommit)
                .memoryOvercommit(memoryOvercommit)
                .teamActiveLimit(teamLimit)
                .keyRequestRate(keyRateLimit)
                .stoppedRetention(Duration.ofDays(retentionDays))
                .prepareTemplates(prepareTemplates)
                .hostSilentAfter(Duration.ofSeconds(hostTimeoutSec))
                .proxyDomain(proxyDomain == null || proxyDomain.isBlank() ? null : proxyDomain)
                .build();
        CompletableFuture<WrennServer> started = new CompletableFuture<>();
        CountDownLatch stopped = new CountDownLatch(1);
        // registered before the start: a signal during it waits for the start, then stops what it
        // started (warm clones and template builds run VMs that would outlive this process)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                started.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS).close();
            } catch (ExecutionException failedToStart) {
                // the start cleaned up after itself
            } catch (InterruptedException | TimeoutException e) {
                spec.commandLine().getErr().println("wrenn server: stopped before its start completed: " + e);
            }
            stopped.countDown();
        }, "wrenn-shutdown"));
        WrennServer server;
        try {
            // the embedded default: the control plane with the host agent of this machine in the same process
            server = WrennServer.start(config,
                    embeddedHost ? HostAgent.start(HostConfig.defaults(config.dataDir(), config.repoDir())) : null);
            started.complete(server);
        } catch (Exception | Error e) {
            started.completeExceptionally(e);
            throw e;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("Wrenn API: " + server.url());
        server.firstKey().ifPresent(key -> {
            out.println("First API key (shown only this once): " + key);
            out.println("  export WRENN_BASE_URL=" + server.url() + " WRENN_API_KEY=" + key);
        });
        out.println("Dashboard: " + server.dashboardUrl());
        out.flush();
        stopped.await();
        return 0;
    }

    /** The checkout, whose guest/images/build.sh builds missing guest images (set by ./wrenn). */
    static Path repoDir() {
        String repo = System.getProperty("wrenn.repo", System.getenv("WRENN_REPO"));
        return repo == null || repo.isBlank() ? null : Path.of(repo).toAbsolutePath().normalize();
    }
}
