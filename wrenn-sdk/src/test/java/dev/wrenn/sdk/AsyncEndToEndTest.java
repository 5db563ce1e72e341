package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The async client's every call against the real server, composed as futures. */
class AsyncEndToEndTest {
    private static AsyncWrennClient client;

    @BeforeAll
    static void up() {
        client = RealServer.asyncClient(RealServer.newTeamKey());
    }

    @AfterAll
    static void down() {
        client.close();
    }

    @Test
    void aCapsuleLifecycleComposedAsFutures() {
        AsyncCapsules capsules = client.capsules();
        String id = capsules.create(CreateCapsuleParams.builder().metadata("via", "async").build())
                .thenCompose(c -> capsules.waitUntilRunning(c.id(), Duration.ofMinutes(1)))
                .thenApply(CapsuleInfo::id)
                .join();
        try {
            assertEquals("async", capsules.get(id).join().metadata().get("via"));
            assertTrue(capsules.list().join().stream().anyMatch(c -> c.id().equals(id)));
            assertEquals(List.of(id), capsules.list(CapsuleFilter.statuses(CapsuleStatus.RUNNING).withMetadata("via", "async"))
                    .join().stream().map(CapsuleInfo::id).toList());
            capsules.ping(id).join();
            CapsuleInfo resumed = capsules.pause(id)
                    .thenCompose(paused -> {
                        assertEquals(CapsuleStatus.PAUSED, paused.status());
                        return capsules.resume(id);
                    }).join();
            assertEquals(CapsuleStatus.RUNNING, resumed.status());
        } finally {
            capsules.destroy(id).join();
        }
        assertEquals(CapsuleStatus.STOPPED, capsules.get(id).join().status());
    }

    @Test
    void severalCapsulesCreatedAtOnceAllRun() {
        List<CompletableFuture<CapsuleInfo>> creating = List.of(
                client.capsules().create(CreateCapsuleParams.defaults(), true),
                client.capsules().create(CreateCapsuleParams.defaults(), true));
        List<CapsuleInfo> running = creating.stream().map(CompletableFuture::join).toList();
        try {
            running.forEach(c -> assertEquals(CapsuleStatus.RUNNING, c.status()));
            assertTrue(running.get(0).id().compareTo(running.get(1).id()) != 0);
        } finally {
            CompletableFuture.allOf(running.stream().map(c -> client.capsules().destroy(c.id()))
                    .toArray(CompletableFuture[]::new)).join();
        }
    }

    @Test
    void snapshotsAreCreatedListedAndDeleted() {
        String source = client.capsules().create(CreateCapsuleParams.defaults(), true).join().id();
        String name = "async-snap-" + Long.toHexString(System.nanoTime());
        try {
            Template t = client.snapshots().create(source, name).join();
            assertEquals(source, t.sourceCapsuleId());
            assertEquals(name, client.snapshots().create(source, name, true).join().name(), "overwrite replaces it");
            assertTrue(client.snapshots().list().join().stream().anyMatch(x -> x.name().equals(name)));
            client.snapshots().delete(name).join();
            assertTrue(client.snapshots().list().join().stream().noneMatch(x -> x.name().equals(name)));
        } finally {
            client.capsules().destroy(source).join();
        }
    }

    @Test
    void createWithoutArgumentsTakesTheServersDefaults() {
        CapsuleInfo c = client.capsules().create().join();
        try {
            assertEquals("minimal", c.template());
            assertEquals(512, c.memoryMb());
        } finally {
            client.capsules().destroy(c.id()).join();
        }
    }

    @Test
    void aRefusalCompletesTheFutureWithTheTypedException() {
        CompletionException e = assertThrows(CompletionException.class,
                () -> client.capsules().resume("cl-" + "1".repeat(25)).join());
        assertInstanceOf(WrennNotFoundException.class, e.getCause());
    }
}
