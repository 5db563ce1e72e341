package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.storage.FileOps;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.hosts.HostRegistry;
import dev.wrenn.server.hosts.RegisteredHost;
import dev.wrenn.server.store.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A control plane without a host of its own over two host agents behind gRPC (in this JVM, each on
 * its own data dir): a snapshot template made on one host makes capsules on the other, which gets
 * a copy first; draining a host pauses its running capsules, which wait there until the drain is
 * undone or, with --move, go paused to the other host and resume there; deleting the template
 * deletes it on both hosts.
 */
class ManyHostsTest {
    @Test
    void templatesGoWhereCapsulesArePlacedAndDrainingPausesAHost() throws Exception {
        String db = TestDatabases.postgresUrl() != null ? TestDatabases.fresh("postgresql") : TestDatabases.fresh("sqlite");
        Path cpDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-many-cp-");
        List<AutoCloseable> open = new ArrayList<>();
        try (WrennServer server = WrennServer.start(TestServer.config(cpDir).databaseUrl(db).prepareTemplates(false)
                .hostSilentAfter(Duration.ofMinutes(5)).build(), null)) {
            HostRegistry registry = server.hosts();
            TestAgent a = TestAgent.start("a", registry, 0);
            open.add(a);
            TestAgent b = TestAgent.start("b", registry, 0);
            open.add(b);
            a.host().prepareBuiltIn("minimal");
            Api api = new Api("http://127.0.0.1:" + server.port(), server.firstKey().orElseThrow());

            registry.drain(b.name(), RegisteredHost.Drain.PAUSE);
            String first = api.createRunning();
            assertEquals(1, a.host().capsules().size(), "b is draining: the capsule is on a");
            assertEquals(0, api.exec(first, "{\"cmd\":\"sh\",\"args\":[\"-c\",\"echo made-on-a > /root/marker\"]}")
                    .json().get("exit_code").asInt());
            Response saved = api.post("/snapshots", "{\"capsule_id\":\"" + first + "\",\"name\":\"moving\"}");
            assertEquals(201, saved.status(), saved::toString);
            assertEquals(1, a.snapshotTemplates().size());
            assertEquals(List.of(), b.snapshotTemplates());

            registry.drain(b.name(), RegisteredHost.Drain.NONE);
            registry.drain(a.name(), RegisteredHost.Drain.PAUSE);
            api.awaitStatus(first, "paused", Duration.ofMinutes(2));
            assertEquals("host_draining", api.capsule(first).get("status_reason").asText());
            Response refused = api.post("/capsules/" + first + "/resume");
            assertEquals(503, refused.status(), refused::toString);
            assertEquals("host_unavailable", refused.errorCode());
            assertTrue(refused.message().contains("drain"), refused.message());

            String copied = api.createRunning("{\"template\":\"moving\"}");
            assertEquals(List.of(copied), b.host().capsules().stream().map(c -> c.id()).toList(), "a is draining: b");
            assertEquals(a.snapshotTemplates(), b.snapshotTemplates(), "b got a copy of the template");
            Response marker = api.exec(copied, "{\"cmd\":\"cat\",\"args\":[\"/root/marker\"]}");
            assertEquals("made-on-a\n", marker.json().get("stdout").asText(), "what the snapshot saved on a");

            String again = api.createRunning("{\"template\":\"moving\"}");
            assertEquals(2, b.host().capsules().size(), "b holds the template now");

            registry.drain(a.name(), RegisteredHost.Drain.NONE);
            assertEquals(200, api.post("/capsules/" + first + "/resume").status(), "the drain undone, it resumes where it is");

            assertEquals(200, api.post("/capsules/" + first + "/pause").status());
            registry.drain(a.name(), RegisteredHost.Drain.MOVE);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (a.host().capsule(first).isPresent() && System.nanoTime() < deadline) Api.sleepFor(Duration.ofMillis(200));
            assertTrue(a.host().capsule(first).isEmpty(), "a drain with --move leaves nothing on the host");
            assertTrue(b.host().capsule(first).isPresent(), "the paused capsule moved to b");
            assertEquals("paused", api.capsule(first).get("status").asText());
            assertEquals(200, api.post("/capsules/" + first + "/resume").status(), "it resumes on b");
            assertEquals("made-on-a\n", api.exec(first, "{\"cmd\":\"cat\",\"args\":[\"/root/marker\"]}").json()
                    .get("stdout").asText(), "as it was on a");
            Response deleted = api.delete("/snapshots/moving");
            assertEquals(2, deleted.status() / 100, deleted::toString);
            assertEquals(List.of(), a.snapshotTemplates(), "deleted on the host that saved it");
            assertEquals(List.of(), b.snapshotTemplates(), "and on the host that had a copy");
            assertEquals("made-on-a\n", api.exec(again, "{\"cmd\":\"cat\",\"args\":[\"/root/marker\"]}").json()
                    .get("stdout").asText(), "capsules of a deleted template run on");
            for (String id : List.of(first, copied, again)) api.destroyQuietly(id);
        } finally {
            for (AutoCloseable c : open) c.close();
            FileOps.deleteTree(cpDir);
        }
    }
}
