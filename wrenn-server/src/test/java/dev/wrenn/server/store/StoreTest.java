package dev.wrenn.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.server.Clock;
import dev.wrenn.server.Ids;
import dev.wrenn.server.auth.ApiKey;
import dev.wrenn.server.auth.KeySecrets;
import dev.wrenn.server.auth.Team;
import dev.wrenn.server.capsule.CapsuleNetwork;
import dev.wrenn.server.capsule.CapsuleRecord;
import dev.wrenn.server.capsule.CapsuleStatus;
import dev.wrenn.server.capsule.Operation;
import dev.wrenn.server.capsule.PortAccess;
import dev.wrenn.server.capsule.SnapshotRecord;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The stores against SQLite and PostgreSQL: the same migrations, the same SQL, the same answers. */
class StoreTest {
    static List<String> kinds() {
        return TestDatabases.kinds();
    }

    private static Database open(String kind) {
        return Database.open(TestDatabases.fresh(kind), Path.of("/nonexistent/unused.db"));
    }

    private static Team team(Database db, String name) {
        return new TeamStore(db.dataSource()).findOrCreate(new Team(Ids.TEAM.next(), name, Clock.uniqueMillis()));
    }

    private static final String HOST = "host-" + "a".repeat(25);
    private static final String OTHER_HOST = "host-" + "b".repeat(25);

    private static CapsuleRecord capsule(String teamId, CapsuleStatus status, Operation op, int vcpus, int memoryMb) {
        return capsule(HOST, teamId, status, op, vcpus, memoryMb);
    }

    private static CapsuleRecord capsule(String hostId, String teamId, CapsuleStatus status, Operation op, int vcpus,
                                         int memoryMb) {
        return capsule(hostId, teamId, status, op, vcpus, memoryMb, CapsuleNetwork.DEFAULT);
    }

    private static CapsuleRecord capsule(String hostId, String teamId, CapsuleStatus status, Operation op, int vcpus,
                                         int memoryMb, CapsuleNetwork network) {
        long now = Clock.uniqueMillis();
        return new CapsuleRecord(Ids.CAPSULE.next(), teamId, hostId, status, null, "minimal", "minimal", vcpus, memoryMb, 0,
                Map.of("owner", "ünïcødé ✓"), network, now, now, null, null, op, op == null ? null : now);
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void teamsAreFoundByNameAndCreatedOnce(String kind) {
        try (Database db = open(kind)) {
            TeamStore teams = new TeamStore(db.dataSource());
            assertTrue(teams.isEmpty());
            Team a = team(db, "alpha");
            Team again = teams.findOrCreate(new Team(Ids.TEAM.next(), "alpha", Clock.uniqueMillis()));
            assertEquals(a, again);
            assertFalse(teams.isEmpty());
            assertEquals(a, teams.findByName("alpha").orElseThrow());
            assertEquals(1, teams.list().size());
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void keysAreFoundByHashUntilRevokedAndListedNewestFirst(String kind) {
        try (Database db = open(kind)) {
            Team t = team(db, "t");
            ApiKeyStore keys = new ApiKeyStore(db.dataSource());
            String secret1 = KeySecrets.generate();
            String secret2 = KeySecrets.generate();
            ApiKey k1 = new ApiKey(Ids.API_KEY.next(), t.id(), "one", KeySecrets.hash(secret1), KeySecrets.prefix(secret1),
                    Clock.uniqueMillis(), null, null);
            ApiKey k2 = new ApiKey(Ids.API_KEY.next(), t.id(), "two", KeySecrets.hash(secret2), KeySecrets.prefix(secret2),
                    Clock.uniqueMillis(), null, null);
            keys.insert(k1);
            keys.insert(k2);
            assertEquals(k1, keys.findActiveByHash(KeySecrets.hash(secret1)).orElseThrow());
            assertEquals(List.of(k2.id(), k1.id()), keys.listActive(t.id()).stream().map(ApiKey::id).toList());
            keys.markUsed(k1.id(), 1234L);
            assertEquals(1234L, keys.findActive(k1.id()).orElseThrow().lastUsedAt());
            assertTrue(keys.revoke(k1.id(), Clock.millis()));
            assertFalse(keys.revoke(k1.id(), Clock.millis()));
            assertTrue(keys.findActiveByHash(KeySecrets.hash(secret1)).isEmpty());
            assertEquals(List.of(k2.id()), keys.listActive(t.id()).stream().map(ApiKey::id).toList());
            assertThrows(StoreException.class, () -> keys.insert(k2), "the same key twice");
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void capsulesAreScopedToTheirTeamAndListedNewestFirstWithFilters(String kind) {
        try (Database db = open(kind)) {
            Team a = team(db, "a");
            Team b = team(db, "b");
            CapsuleStore store = new CapsuleStore(db.dataSource(), db.kind() == Database.Kind.SQLITE, "cp-test");
            CapsuleRecord first = capsule(a.id(), CapsuleStatus.RUNNING, null, 1, 512);
            CapsuleRecord second = capsule(a.id(), CapsuleStatus.PAUSED, null, 1, 512);
            CapsuleRecord other = capsule(b.id(), CapsuleStatus.RUNNING, null, 1, 512);
            store.insert(first);
            store.insert(second);
            store.insert(other);
            assertEquals(first, store.find(a.id(), first.id()).orElseThrow());
            assertTrue(store.find(b.id(), first.id()).isEmpty(), "another team's capsule is not found");
            assertEquals(List.of(second.id(), first.id()), ids(store.list(a.id(), List.of())));
            assertEquals(List.of(first.id()), ids(store.list(a.id(), List.of(CapsuleStatus.RUNNING))));
            assertEquals(List.of(second.id(), first.id()),
                    ids(store.list(a.id(), List.of(CapsuleStatus.RUNNING, CapsuleStatus.PAUSED))));
            assertEquals("ünïcødé ✓", store.find(first.id()).orElseThrow().metadata().get("owner"));
            Map<CapsuleStatus, Long> counts = store.countByStatus();
            assertEquals(2L, counts.get(CapsuleStatus.RUNNING));
            assertEquals(1L, counts.get(CapsuleStatus.PAUSED));
            assertEquals(0L, counts.get(CapsuleStatus.ERROR));
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void anOperationSlotIsTakenByExactlyOneOfManyConcurrentClaims(String kind) throws Exception {
        try (Database db = open(kind)) {
            Team t = team(db, "t");
            CapsuleStore store = new CapsuleStore(db.dataSource(), db.kind() == Database.Kind.SQLITE, "cp-test");
            CapsuleRecord c = capsule(t.id(), CapsuleStatus.RUNNING, null, 1, 512);
            store.insert(c);
            try (var pool = Executors.newFixedThreadPool(8)) {
                List<Future<Boolean>> claims = pool.invokeAll(IntStream.range(0, 8)
                        .mapToObj(i -> (Callable<Boolean>) () -> store.claim(c.id(), Operation.PAUSE,
                                EnumSet.of(CapsuleStatus.RUNNING), Clock.millis()))
                        .toList());
                long won = 0;
                for (Future<Boolean> f : claims) won += f.get() ? 1 : 0;
                assertEquals(1, won);
            }
            assertEquals(Operation.PAUSE, store.find(c.id()).orElseThrow().operation());
            assertFalse(store.finish(c.id(), Operation.RESUME, EnumSet.of(CapsuleStatus.RUNNING), CapsuleStatus.PAUSED,
                    null, Clock.millis(), null), "only the holder of the slot may finish");
            assertTrue(store.finish(c.id(), Operation.PAUSE, EnumSet.of(CapsuleStatus.RUNNING), CapsuleStatus.PAUSED,
                    "inactivity_timeout", Clock.millis(), null));
            CapsuleRecord paused = store.find(c.id()).orElseThrow();
            assertEquals(CapsuleStatus.PAUSED, paused.status());
            assertEquals("inactivity_timeout", paused.statusReason());
            assertNull(paused.operation());
            assertFalse(store.claim(c.id(), Operation.PAUSE, EnumSet.of(CapsuleStatus.RUNNING), Clock.millis()),
                    "a paused capsule cannot be claimed for a pause");
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void aFinishIsRefusedWhenTheStatusMovedUnderneath(String kind) {
        try (Database db = open(kind)) {
            Team t = team(db, "t");
            CapsuleStore store = new CapsuleStore(db.dataSource(), db.kind() == Database.Kind.SQLITE, "cp-test");
            CapsuleRecord c = capsule(t.id(), CapsuleStatus.STARTING, Operation.CREATE, 1, 512);
            store.insert(c);
            // a destroy during the boot moves it to stopped while the create still holds the slot
            assertTrue(store.move(c.id(), EnumSet.of(CapsuleStatus.PENDING, CapsuleStatus.STARTING), CapsuleStatus.STOPPED,
                    null, Clock.millis(), null));
            long now = Clock.millis();
            assertFalse(store.finish(c.id(), Operation.CREATE, EnumSet.of(CapsuleStatus.STARTING), CapsuleStatus.RUNNING,
                    null, now, now));
            assertTrue(store.release(c.id(), Operation.CREATE));
            CapsuleRecord after = store.find(c.id()).orElseThrow();
            assertEquals(CapsuleStatus.STOPPED, after.status());
            assertNull(after.operation());
            assertNull(after.startedAt());
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void usageCountsThisHostsCapsulesThatHoldResourcesAndResumesInFlight(String kind) {
        try (Database db = open(kind)) {
            Team t = team(db, "t");
            CapsuleStore store = new CapsuleStore(db.dataSource(), db.kind() == Database.Kind.SQLITE, "cp-test");
            store.insert(capsule(t.id(), CapsuleStatus.RUNNING, null, 2, 1024));
            store.insert(capsule(t.id(), CapsuleStatus.PENDING, Operation.CREATE, 1, 512));
            store.insert(capsule(t.id(), CapsuleStatus.PAUSED, null, 4, 4096));
            store.insert(capsule(t.id(), CapsuleStatus.PAUSED, Operation.RESUME, 1, 256));
            store.insert(capsule(t.id(), CapsuleStatus.STOPPED, null, 8, 8192));
            store.insert(capsule(OTHER_HOST, t.id(), CapsuleStatus.RUNNING, null, 2, 2048));
            long[] used = store.usage(HOST);
            assertEquals(4, used[0]);
            assertEquals(1792, used[1]);
            assertEquals(4, store.countActive(t.id()), "a team's limit counts its capsules on every host");
            assertEquals(2, store.listByStatus(HOST, List.of(CapsuleStatus.RUNNING, CapsuleStatus.PENDING)).size());
            assertEquals(1, store.listByStatus(OTHER_HOST, List.of(CapsuleStatus.RUNNING)).size());
            assertEquals(2, store.listWithOperation(HOST).size());
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void stoppedCapsulesAreForgottenAfterRetentionOnly(String kind) {
        try (Database db = open(kind)) {
            Team t = team(db, "t");
            CapsuleStore store = new CapsuleStore(db.dataSource(), db.kind() == Database.Kind.SQLITE, "cp-test");
            CapsuleRecord old = capsule(t.id(), CapsuleStatus.STOPPED, null, 1, 512);
            CapsuleRecord running = capsule(t.id(), CapsuleStatus.RUNNING, null, 1, 512);
            store.insert(old);
            store.insert(running);
            assertEquals(0, store.deleteStoppedBefore(old.lastUpdated()));
            // uniqueMillis runs ahead of the wall clock when called often within one millisecond:
            // the cutoff must come from it to be later than every record's time
            assertEquals(1, store.deleteStoppedBefore(Clock.uniqueMillis()));
            assertTrue(store.find(old.id()).isEmpty());
            assertTrue(store.find(running.id()).isPresent());
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void snapshotTemplatesAreReplacedByNameWithinATeam(String kind) {
        try (Database db = open(kind)) {
            Team a = team(db, "a");
            Team b = team(db, "b");
            SnapshotStore store = new SnapshotStore(db.dataSource());
            SnapshotRecord v1 = new SnapshotRecord(a.id(), "env", "s-1", 1, 512, 100, Ids.CAPSULE.next(), Clock.uniqueMillis(), null);
            SnapshotRecord v2 = new SnapshotRecord(a.id(), "env", "s-1", 1, 512, 200, Ids.CAPSULE.next(), Clock.uniqueMillis(), null);
            SnapshotRecord theirs = new SnapshotRecord(b.id(), "env", "s-2", 2, 1024, 300, Ids.CAPSULE.next(), Clock.uniqueMillis(), null);
            store.put(v1);
            store.put(v2);
            store.put(theirs);
            assertEquals(v2, store.find(a.id(), "env").orElseThrow());
            assertEquals(theirs, store.find(b.id(), "env").orElseThrow());
            assertEquals(List.of(v2), store.list(a.id()));
            assertEquals(2, store.allHostNames().size());
            assertTrue(store.delete(a.id(), "env"));
            assertFalse(store.delete(a.id(), "env"));
            assertTrue(store.find(b.id(), "env").isPresent());
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void aCapsulesNetworkIsKeptAndANetworkChangeReplacesOnlyThePolicy(String kind) {
        try (Database db = open(kind)) {
            Team t = team(db, "net");
            CapsuleStore store = new CapsuleStore(db.dataSource(), db.kind() == Database.Kind.SQLITE, "cp-test");
            CapsuleNetwork network = CapsuleNetwork.of(NetworkPolicy.of(false, List.of("10.1.2.3", "*.Example.COM"),
                    List.of("192.168.0.0/16")), PortAccess.TOKEN, true);
            CapsuleRecord c = capsule(HOST, t.id(), CapsuleStatus.RUNNING, null, 1, 512, network);
            store.insert(c);
            CapsuleNetwork read = store.find(c.id()).orElseThrow().network();
            assertEquals(network, read);
            assertEquals(List.of("10.1.2.3/32", "*.example.com"), read.policy().allowOutText());
            assertEquals(48, read.trafficToken().length());

            assertFalse(store.finishNetwork(c.id(), NetworkPolicy.DEFAULT), "only the network operation ends itself");
            assertTrue(store.claim(c.id(), Operation.NETWORK, EnumSet.of(CapsuleStatus.RUNNING), Clock.millis()));
            assertTrue(store.finishNetwork(c.id(), NetworkPolicy.of(true, List.of(), List.of("1.1.1.1"))));
            CapsuleRecord after = store.find(c.id()).orElseThrow();
            assertNull(after.operation());
            assertEquals(List.of("1.1.1.1/32"), after.network().policy().denyOutText());
            assertEquals(network.trafficToken(), after.network().trafficToken(), "the token and access stay");
            assertTrue(after.network().autoResume());
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void capsulesRecordedBeforeNetworksExistedGetTheDefaultNetwork(String kind) throws Exception {
        String url = TestDatabases.fresh(kind);
        String id = Ids.CAPSULE.next();
        try (Database db = Database.open(url, Path.of("/nonexistent/unused.db"))) {
            Team t = team(db, "old");
            // the row as the first schema wrote it: the network columns left to their defaults
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO capsules (id, team_id, host_id, status, template, host_template, vcpus, memory_mb,"
                        + " timeout_sec, metadata, created_at, last_updated) VALUES ('" + id + "', '" + t.id() + "', '" + HOST
                        + "', 'paused', 'minimal', 'minimal', 1, 512, 0, '{}', 1, 1)");
            }
            assertEquals(CapsuleNetwork.DEFAULT, new CapsuleStore(db.dataSource(), false, "cp-test").find(id).orElseThrow().network());
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void reopeningAMigratedDatabaseKeepsItsData(String kind) {
        String url = TestDatabases.fresh(kind);
        Team t;
        try (Database db = Database.open(url, Path.of("/nonexistent/unused.db"))) {
            t = team(db, "kept");
        }
        try (Database db = Database.open(url, Path.of("/nonexistent/unused.db"))) {
            assertEquals(t, new TeamStore(db.dataSource()).findByName("kept").orElseThrow());
        }
    }

    private static List<String> ids(List<CapsuleRecord> list) {
        return list.stream().map(CapsuleRecord::id).toList();
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void theSharedWorkLeaseHasOneHolderUntilItExpiresOrIsGivenUp(String kind) {
        try (Database db = open(kind)) {
            ControlPlaneStore planes = new ControlPlaneStore(db.dataSource());
            assertTrue(planes.lease("work", "cp-a", 1_000, 2_000), "nobody held it");
            assertFalse(planes.lease("work", "cp-b", 1_500, 2_500), "cp-a holds it until 2000");
            assertTrue(planes.lease("work", "cp-a", 1_900, 2_900), "its holder renews it");
            assertFalse(planes.lease("work", "cp-b", 2_800, 3_800));
            assertTrue(planes.lease("work", "cp-b", 3_000, 4_000), "expired: another takes it");
            assertFalse(planes.lease("work", "cp-a", 3_100, 4_100));
            planes.release("work", "cp-b");
            assertTrue(planes.lease("work", "cp-a", 3_200, 4_200), "given up: another takes it at once");
            assertTrue(planes.lease("other", "cp-b", 3_200, 4_200), "leases are by name");
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void operationsOfAControlPlaneThatFellSilentAreAdoptedOnce(String kind) {
        try (Database db = open(kind)) {
            Team t = team(db, "t");
            ControlPlaneStore planes = new ControlPlaneStore(db.dataSource());
            planes.beat("cp-a", 0, 1_000);
            planes.beat("cp-b", 0, 1_000);
            planes.beat("cp-c", 0, 1_000);
            CapsuleStore a = new CapsuleStore(db.dataSource(), false, "cp-a");
            CapsuleStore b = new CapsuleStore(db.dataSource(), false, "cp-b");
            CapsuleStore c = new CapsuleStore(db.dataSource(), false, "cp-c");
            CapsuleRecord creating = capsule(t.id(), CapsuleStatus.PENDING, Operation.CREATE, 1, 512);
            a.insert(creating);
            CapsuleRecord running = capsule(t.id(), CapsuleStatus.RUNNING, null, 1, 512);
            a.insert(running);
            assertTrue(a.claim(running.id(), Operation.PAUSE, EnumSet.of(CapsuleStatus.RUNNING), 1_000));
            assertEquals(List.of(), b.orphanedOperations(500), "cp-a was heard from after the cutoff");

            planes.beat("cp-b", 0, 5_000);
            planes.beat("cp-c", 0, 5_000);
            List<CapsuleRecord> orphans = b.orphanedOperations(2_000);
            assertEquals(List.of(creating.id(), running.id()).stream().sorted().toList(),
                    orphans.stream().map(CapsuleRecord::id).sorted().toList());
            CapsuleRecord orphan = orphans.get(0);
            assertTrue(b.adopt(orphan, 2_000));
            assertFalse(c.adopt(orphan, 2_000), "cp-b, which is alive, has it now");
            assertEquals(1, b.orphanedOperations(2_000).size());
            CapsuleRecord pausing = b.find(running.id()).orElseThrow();
            assertTrue(b.adopt(pausing, 2_000));
            assertTrue(b.release(running.id(), Operation.PAUSE), "the adopter ends the operation as its own");
            assertEquals(List.of(), c.orphanedOperations(2_000));
        }
    }

    @ParameterizedTest
    @MethodSource("kinds")
    void aHostLockIsHeldByOneControlPlaneAtATime(String kind) throws Exception {
        String url = TestDatabases.fresh(kind);
        try (Database one = Database.open(url, Path.of("/nonexistent/unused.db"))) {
            if (one.kind() != Database.Kind.POSTGRESQL) {
                // one control plane over SQLite: its own lock (Capacity's) is the only one needed
                assertEquals("ran", new HostLocks(one.dataSource(), false).holding(HOST, () -> "ran"));
                return;
            }
            try (Database two = Database.open(url, Path.of("/nonexistent/unused.db"))) {
                HostLocks first = new HostLocks(one.dataSource(), true);
                HostLocks second = new HostLocks(two.dataSource(), true);
                java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
                List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
                var pool = Executors.newFixedThreadPool(2);
                Future<?> a = pool.submit(() -> first.holding(HOST, () -> {
                    held.countDown();
                    order.add("first in");
                    await(release);
                    order.add("first out");
                    return null;
                }));
                held.await();
                Future<?> b = pool.submit(() -> second.holding(HOST, () -> order.add("second in")));
                assertEquals("ran", second.holding(OTHER_HOST, () -> "ran"), "another host's lock is free");
                Thread.sleep(300);
                assertEquals(List.of("first in"), order, "the second control plane waits for the host");
                release.countDown();
                a.get();
                b.get();
                assertEquals(List.of("first in", "first out", "second in"), order);
                pool.shutdown();
            }
        }
    }

    private static void await(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
