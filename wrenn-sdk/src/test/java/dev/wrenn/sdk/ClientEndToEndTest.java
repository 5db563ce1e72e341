package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The blocking client's every call against the real server, with real capsules. */
class ClientEndToEndTest {
    private static WrennClient client;

    @BeforeAll
    static void up() {
        client = RealServer.client(RealServer.newTeamKey());
    }

    @AfterAll
    static void down() {
        client.close();
    }

    @Test
    void aCapsuleGoesThroughItsWholeLifecycle() {
        Instant before = Instant.now().minusSeconds(2);
        CapsuleInfo created = client.capsules().create(CreateCapsuleParams.builder().template("minimal").vcpus(1)
                .memoryMb(256).timeoutSec(600).metadata("owner", "sdk-test").build());
        String id = created.id();
        try {
            assertTrue(id.matches("cl-[0-9a-z]{25}"), id);
            assertTrue(Set.of(CapsuleStatus.PENDING, CapsuleStatus.STARTING, CapsuleStatus.RUNNING).contains(created.status()),
                    created::toString);
            assertEquals("minimal", created.template());
            assertEquals(256, created.memoryMb());
            assertEquals(600, created.timeoutSec());
            assertEquals(Map.of("owner", "sdk-test"), created.metadata());
            assertTrue(created.createdAt().isAfter(before), created::toString);

            CapsuleInfo running = client.capsules().waitUntilRunning(id, Duration.ofMinutes(1));
            assertEquals(CapsuleStatus.RUNNING, running.status());
            assertNotNull(running.startedAt());
            assertEquals(id, client.capsules().get(id).id());
            assertEquals(id, client.capsules().list().get(0).id(), "newest first");

            client.capsules().ping(id);
            assertNotNull(client.capsules().get(id).lastActiveAt(), "a ping is activity");

            assertEquals(CapsuleStatus.PAUSED, client.capsules().pause(id).status());
            CapsuleFilter mine = CapsuleFilter.statuses(CapsuleStatus.PAUSED).withMetadata("owner", "sdk-test");
            assertEquals(List.of(id), client.capsules().list(mine).stream().map(CapsuleInfo::id).toList());
            assertTrue(client.capsules().list(CapsuleFilter.statuses(CapsuleStatus.RUNNING)).stream().noneMatch(c -> c.id().equals(id)));
            assertTrue(client.capsules().list(CapsuleFilter.all().withMetadata("owner", "someone-else")).isEmpty());
            WrennConflictException twice = assertThrows(WrennConflictException.class, () -> client.capsules().pause(id));
            assertEquals("invalid_state", twice.code());
            assertTrue(twice.getMessage().contains(id), twice.getMessage());
            assertThrows(WrennConflictException.class, () -> client.capsules().ping(id), "a paused capsule cannot be pinged");
            assertEquals(CapsuleStatus.RUNNING, client.capsules().resume(id).status());
        } finally {
            client.capsules().destroy(id);
        }
        assertEquals(CapsuleStatus.STOPPED, client.capsules().get(id).status());
        client.capsules().destroy(id); // a no-op, not an error
    }

    @Test
    void createWithWaitReturnsARunningCapsule() {
        CapsuleInfo c = client.capsules().create(CreateCapsuleParams.defaults(), true);
        try {
            assertEquals(CapsuleStatus.RUNNING, c.status());
            assertEquals("minimal", c.template());
            assertEquals(1, c.vcpus());
            assertEquals(512, c.memoryMb());
            assertEquals(0, c.timeoutSec());
        } finally {
            client.capsules().destroy(c.id());
        }
    }

    @Test
    void aSnapshotBecomesATemplateToCreateFromAndCanBeDeleted() {
        String source = client.capsules().create(CreateCapsuleParams.defaults(), true).id();
        String clone = null;
        String name = "sdk-snap-" + Long.toHexString(System.nanoTime());
        try {
            Template t = client.snapshots().create(source, name);
            assertEquals(name, t.name());
            assertEquals("snapshot", t.type());
            assertEquals(source, t.sourceCapsuleId());
            assertFalse(t.builtIn());
            assertTrue(t.sizeBytes() > 0);

            List<Template> all = client.snapshots().list();
            assertTrue(all.stream().anyMatch(x -> x.name().equals("minimal") && x.builtIn()), all::toString);
            assertTrue(all.stream().anyMatch(x -> x.name().equals(name)), all::toString);

            WrennConflictException taken = assertThrows(WrennConflictException.class, () -> client.snapshots().create(source, name));
            assertEquals("template_name_taken", taken.code());
            assertEquals(name, client.snapshots().create(source, name, true).name(), "overwrite replaces it");

            clone = client.capsules().create(CreateCapsuleParams.builder().template(name).build(), true).id();
            assertEquals(name, client.capsules().get(clone).template());

            client.snapshots().delete(name);
            assertTrue(client.snapshots().list().stream().noneMatch(x -> x.name().equals(name)));
            assertThrows(WrennNotFoundException.class, () -> client.snapshots().delete(name));
            assertEquals("forbidden", assertThrows(WrennForbiddenException.class, () -> client.snapshots().delete("minimal")).code());
        } finally {
            client.capsules().destroy(source);
            if (clone != null) client.capsules().destroy(clone);
        }
    }

    @Test
    void theServersRefusalsArriveAsTypedExceptionsNamingTheValue() {
        String unknown = "cl-" + "0".repeat(25);
        WrennNotFoundException nf = assertThrows(WrennNotFoundException.class, () -> client.capsules().get(unknown));
        assertTrue(nf.getMessage().contains(unknown), nf.getMessage());
        assertNotNull(nf.requestId());

        assertThrows(WrennValidationException.class, () -> client.capsules().get("not-an-id"));
        WrennValidationException big = assertThrows(WrennValidationException.class,
                () -> client.capsules().create(CreateCapsuleParams.builder().vcpus(999).build()));
        assertTrue(big.getMessage().contains("vcpus"), big.getMessage());
        assertThrows(WrennNotFoundException.class,
                () -> client.capsules().create(CreateCapsuleParams.builder().template("no-such-template").build()));

        try (WrennClient stranger = new WrennClient("wrn_" + "0".repeat(32), RealServer.baseUrl())) {
            WrennAuthenticationException e = assertThrows(WrennAuthenticationException.class, () -> stranger.capsules().list());
            assertEquals("unauthorized", e.code());
            assertEquals(401, e.statusCode());
        }
    }
}
