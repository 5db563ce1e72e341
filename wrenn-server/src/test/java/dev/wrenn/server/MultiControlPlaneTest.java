package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wrenn.host.storage.FileOps;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.store.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two control planes, each with its own host, on one PostgreSQL database: both see the team's
 * capsules, each acts only on its own host's (the other's embedded host is unavailable to it, unlike
 * registered host agents), and a restart of one never touches the other's.
 */
class MultiControlPlaneTest {
    @Test
    void controlPlanesSharingADatabaseEachActOnlyOnTheirOwnHost() throws Exception {
        assumeTrue(TestDatabases.postgresUrl() != null, "needs the throwaway PostgreSQL of scripts/with-postgres.sh");
        String db = TestDatabases.fresh("postgresql");
        Path dirA = Files.createTempDirectory(Path.of("/tmp"), "wrenn-cpa-");
        Path dirB = Files.createTempDirectory(Path.of("/tmp"), "wrenn-cpb-");
        Path log = dirA.resolveSibling(dirA.getFileName() + ".log");
        Process a = ServerProcess.launch(dirA, db, log);
        Process b = null;
        String id = null;
        Api apiA = null;
        try {
            String[] readyA = ServerProcess.awaitReady(a, log);
            apiA = new Api("http://127.0.0.1:" + readyA[1], readyA[2]);
            Response created = apiA.post("/capsules", "{}");
            id = created.json().get("id").asText();
            apiA.awaitStatus(id, "running", Duration.ofMinutes(5));

            b = ServerProcess.launch(dirB, db, log);
            String[] readyB = ServerProcess.awaitReady(b, log);
            assertEquals("-", readyB[2], "the database already has its first key");
            Api apiB = new Api("http://127.0.0.1:" + readyB[1], apiA.key());

            assertEquals("running", apiB.capsule(id).get("status").asText(), "B's start left A's capsule alone");
            assertEquals(id, apiB.get("/capsules").json().get(0).get("id").asText(), "B lists the team's capsules");
            for (Response r : new Response[] {apiB.post("/capsules/" + id + "/pause"), apiB.exec(id, "{\"cmd\":\"true\"}"),
                    apiB.delete("/capsules/" + id)}) {
                assertEquals(503, r.status(), r::toString);
                assertEquals("host_unavailable", r.errorCode(), "B cannot reach A's embedded host");
                assertTrue(r.message().contains("host"), r.message());
                assertTrue(r.headers().firstValue("Retry-After").isPresent());
            }
            assertEquals(200, apiA.exec(id, "{\"cmd\":\"true\"}").status(), "A still runs it");
        } finally {
            if (apiA != null && id != null) apiA.destroyQuietly(id);
            for (Process p : new Process[] {a, b}) {
                if (p != null) {
                    p.destroy();
                    p.waitFor(60, TimeUnit.SECONDS);
                }
            }
            FileOps.deleteTree(dirA);
            FileOps.deleteTree(dirB);
            Files.deleteIfExists(log);
        }
    }
}
