package dev.wrenn.server;

import dev.wrenn.host.HostAgent;
import dev.wrenn.host.HostConfig;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.server.auth.KeyService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * One real server per test JVM (SQLite, its own data dir, a random port, the real host agent),
 * shared by the test classes so the built-in templates are booted once. Each test class takes a
 * team of its own, so listings and limits do not see other classes' capsules.
 */
public final class TestServer {
    /** Small enough that a request for the largest capsule is always over it (503 tests). */
    public static final long HOST_MEMORY_MB = 8192;
    public static final int TEAM_LIMIT = 4;
    private static WrennServer server;
    private static HostAgent host;
    private static Path dataDir;

    private TestServer() {}

    public static synchronized WrennServer get() {
        if (server == null) {
            try {
                dataDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-srv-");
                ServerConfig config = config(dataDir).build();
                host = HostAgent.start(HostConfig.defaults(config.dataDir(), config.repoDir()));
                server = WrennServer.start(config, host);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(TestServer::stop));
        }
        return server;
    }

    /** The host agent behind the shared server, to look behind the API. */
    public static synchronized HostAgent host() {
        get();
        return host;
    }

    /** A server in this process over the real host agent of its data dir (the embedded default). */
    public static WrennServer startEmbedded(ServerConfig config) throws IOException {
        return WrennServer.start(config, HostAgent.start(HostConfig.defaults(config.dataDir(), config.repoDir())));
    }

    /** The settings every test server uses (also the crash tests' server processes). */
    public static ServerConfig.Builder config(Path dataDir) {
        return ServerConfig.builder(dataDir)
                .bindHost("127.0.0.1")
                .port(0)
                .repoDir(repoDir())
                .hostMemoryMb(HOST_MEMORY_MB)
                .memoryOvercommit(1)   // the optional limit by reservation, for LimitsApiTest
                .hostVcpus(2)
                .teamActiveLimit(TEAM_LIMIT)
                .shutdownGrace(Duration.ofSeconds(20));
    }

    public static Path repoDir() {
        return Path.of(System.getProperty("wrenn.repo", "..")).toAbsolutePath().normalize();
    }

    /** A client with a key of a new team. */
    public static Api newTeam() {
        KeyService keys = get().keys();
        var team = keys.team("test-" + UUID.randomUUID());
        return new Api(baseUrl(), keys.create(team.id(), "test key").secret());
    }

    /** The built-in templates, booted and saved (needed before any test that creates a capsule). */
    public static void awaitTemplates() {
        try {
            get().awaitTemplates(Duration.ofMinutes(10));
        } catch (TimeoutException e) {
            throw new AssertionError("the built-in templates were not ready within 10 minutes");
        }
    }

    /**
     * Waits (up to 60 s) until the warm pool of {@code minimal} holds what it aims for (at least one
     * clone), so a benchmarked create measures the warm path and not the pool's refill.
     */
    public static void awaitWarmClone() {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (host().warmClones("minimal") < Math.max(1, host().warmTarget("minimal")) && System.nanoTime() < deadline) {
            Api.sleepFor(Duration.ofMillis(20));
        }
    }

    public static String baseUrl() {
        return "http://127.0.0.1:" + get().port();
    }

    private static synchronized void stop() {
        if (server == null) return;
        host.capsules().forEach(c -> {
            try {
                host.destroy(c.id());
            } catch (RuntimeException ignored) {
                // best effort at JVM exit
            }
        });
        server.close();
        FileOps.deleteTree(dataDir);
    }
}
