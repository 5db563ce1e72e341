package dev.wrenn.server;

import dev.wrenn.host.storage.FileOps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * A real server (HTTP, SQLite in a data dir of its own) over an {@link InMemoryHost}: for tests of
 * what the control plane does with what a host records (network policies, mapped ports), in
 * milliseconds and without VMs. Restartable over the same data dir and host.
 */
public final class InMemoryServer implements AutoCloseable {
    private final Path dataDir;
    private final InMemoryHost host = new InMemoryHost();
    private final UnaryOperator<ServerConfig.Builder> settings;
    private WrennServer server;
    private String key;

    private InMemoryServer(UnaryOperator<ServerConfig.Builder> settings) throws IOException {
        this.dataDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-mem-");
        this.settings = settings;
        server = WrennServer.start(config(), host);
        key = server.firstKey().orElseThrow();
    }

    public static InMemoryServer start() {
        return start(b -> b);
    }

    /** @param settings changes to the test settings (e.g. a short proxy timeout) */
    public static InMemoryServer start(UnaryOperator<ServerConfig.Builder> settings) {
        try {
            return new InMemoryServer(settings);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ServerConfig config() {
        return settings.apply(ServerConfig.builder(dataDir).bindHost("127.0.0.1").port(0).prepareTemplates(false)
                .hostMemoryMb(8192).hostVcpus(2).shutdownGrace(Duration.ofSeconds(5))).build();
    }

    public InMemoryHost host() {
        return host;
    }

    public WrennServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    /** The first key of the installation (team {@code default}). */
    public String key() {
        return key;
    }

    public Api api() {
        return new Api("http://127.0.0.1:" + port(), key);
    }

    /** Stops the server and starts a new one over the same database and host, as after a restart. */
    public void restart() throws IOException {
        server.close();
        server = WrennServer.start(config(), host);
    }

    @Override
    public void close() {
        server.close();
        FileOps.deleteTree(dataDir);
    }
}
