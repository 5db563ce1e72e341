package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wrenn.host.storage.FileOps;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.store.TestDatabases;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The database unreachable for a while (its connection cut, not the server stopped): requests fail
 * cleanly and fast with 503 and Retry-After, the server stays up, running capsules keep running,
 * and once the database is back everything works again without a restart.
 */
class DatabaseOutageTest {
    @Test
    void requestsFailWith503WhileTheDatabaseIsUnreachableAndWorkAgainAfter() throws Exception {
        assumeTrue(TestDatabases.postgresUrl() != null, "needs the throwaway PostgreSQL of scripts/with-postgres.sh");
        String db = TestDatabases.fresh("postgresql");
        URI u = URI.create(db.replaceFirst("^postgresql:", "http:"));
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-dbcut-");
        Path log = dir.resolveSibling(dir.getFileName() + ".log");
        try (TcpRelay relay = new TcpRelay(new InetSocketAddress(u.getHost(), u.getPort()))) {
            Process server = ServerProcess.launch(dir, db.replace(":" + u.getPort() + "/", ":" + relay.port() + "/"), log);
            Api api = null;
            String id = null;
            try {
                String[] ready = ServerProcess.awaitReady(server, log);
                api = new Api("http://127.0.0.1:" + ready[1], ready[2]);
                id = api.createRunning();

                relay.cut();
                Api a = api;
                String capsule = id;
                List<Supplier<Response>> calls = List.of(() -> a.get("/capsules"), () -> a.post("/capsules", "{}"),
                        () -> a.post("/capsules/" + capsule + "/pause"), () -> a.exec(capsule, "{\"cmd\":\"true\"}"));
                for (Supplier<Response> call : calls) {
                    long t0 = System.nanoTime();
                    Response r = call.get();
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    assertEquals(503, r.status(), r::toString);
                    assertEquals("unavailable", r.errorCode(), r::toString);
                    assertTrue(r.message().contains("database"), r.message());
                    assertTrue(r.headers().firstValue("Retry-After").isPresent(), "Retry-After: " + r);
                    assertTrue(ms < 10_000, "fails fast, not after a long hang: " + ms + " ms");
                }
                assertTrue(server.isAlive(), "the server stays up");

                relay.restore();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (a.get("/capsules").status() != 200 && System.nanoTime() < deadline) Thread.sleep(200);
                assertEquals("running", api.capsule(id).get("status").asText(), "the capsule ran on");
                assertEquals(200, api.exec(id, "{\"cmd\":\"true\"}").status());
                assertEquals(200, api.post("/capsules/" + id + "/pause").status());
                assertEquals(200, api.post("/capsules/" + id + "/resume").status());
                String another = api.createRunning();
                api.destroyQuietly(another);
            } finally {
                if (api != null && id != null) api.destroyQuietly(id);
                server.destroy();
                server.waitFor(60, TimeUnit.SECONDS);
            }
        } finally {
            FileOps.deleteTree(dir);
            Files.deleteIfExists(log);
        }
    }
}
