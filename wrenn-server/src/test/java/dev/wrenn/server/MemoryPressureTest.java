package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.capsule.Capacity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Admission by what capsules really use, over a host whose memory is set exactly (each running
 * capsule holds {@link InMemoryHost#VM_MEMORY_MB}, a paused one nothing): creates are admitted
 * while the reserve stays free, a create that finds too little room pauses the coldest idle
 * capsule with auto-pause, and only when none is left is the answer 503. The real host's figures
 * are checked in OpsApiTest, its density in the server benchmark.
 */
class MemoryPressureTest {
    private static final long RESERVE_MB = 200;
    private static final Duration MIN_IDLE = Duration.ofMillis(300);
    private InMemoryServer server;
    private Api api;

    @BeforeEach
    void start() {
        server = InMemoryServer.start(b -> b.memoryReserveMb(RESERVE_MB).pressureMinIdle(MIN_IDLE));
        api = server.api();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void capsulesAreAdmittedByRealUseNotByWhatTheyAskFor() {
        server.host().memoryMb(RESERVE_MB + 3 * InMemoryHost.VM_MEMORY_MB);
        for (int i = 0; i < 3; i++) api.createRunning("{\"memory_mb\":8192}");   // 3 × 8 GiB asked of a 500 MiB host
        Response full = api.post("/capsules", "{}");
        assertEquals(503, full.status(), full::toString);
        assertEquals("no_capacity", full.errorCode());
        assertTrue(full.message().contains("200 MiB free") && full.message().contains("200 MiB kept in reserve"), full.message());
        assertTrue(Integer.parseInt(full.headers().firstValue("Retry-After").orElse("0")) > 0, "Retry-After is set");
        assertEquals(3, api.get("/capsules").json().size(), "the refused create left no record");
    }

    @Test
    void aCreateOrResumeWithoutDiskForItsMemoryIs507AndLeavesNoTrace() {
        String idle = api.createRunning("{\"timeout_sec\":3600,\"memory_mb\":512}");
        assertEquals(200, api.post("/capsules/" + idle + "/pause").status());
        server.host().diskFreeMb(Capacity.DISK_RESERVE_MB + 511);
        Response create = api.post("/capsules", "{\"memory_mb\":512}");
        assertEquals(507, create.status(), create::toString);
        assertEquals("insufficient_storage", create.errorCode());
        assertTrue(create.message().contains("1535 MiB free") && create.message().contains("512 MiB"), create.message());
        Response resume = api.post("/capsules/" + idle + "/resume");
        assertEquals(507, resume.status(), resume::toString);
        assertEquals("paused", api.capsule(idle).get("status").asText(), "the refused resume left it paused");
        assertEquals(1, api.get("/capsules").json().size(), "the refused create left no record");
        assertEquals(1535, api.get("/api/health").json().get("capacity").get("disk_free_mb").asLong());

        server.host().diskFreeMb(Capacity.DISK_RESERVE_MB + 512);
        assertEquals(200, api.post("/capsules/" + idle + "/resume").status(), "with room it resumes");
        api.createRunning("{\"memory_mb\":256}");
    }

    @Test
    void aCreateWithoutRoomPausesTheColdestIdleCapsuleWithAutoPauseFirst() {
        server.host().memoryMb(RESERVE_MB + 3 * InMemoryHost.VM_MEMORY_MB);
        String coldest = api.createRunning("{\"timeout_sec\":3600}");
        String warmer = api.createRunning("{\"timeout_sec\":3600}");
        String noAutoPause = api.createRunning("{}");
        Api.sleepFor(MIN_IDLE.plusMillis(100));
        assertEquals(204, api.post("/capsules/" + warmer + "/ping").status());
        Api.sleepFor(MIN_IDLE.plusMillis(100));

        String next = api.createRunning("{}");
        JsonNode paused = api.capsule(coldest);
        assertEquals("paused", paused.get("status").asText(), paused::toString);
        assertEquals("memory_pressure", paused.get("status_reason").asText());
        assertEquals("running", api.capsule(warmer).get("status").asText());
        assertEquals("running", api.capsule(noAutoPause).get("status").asText(), "capsules without auto-pause keep running");

        api.createRunning("{}");
        assertEquals("paused", api.capsule(warmer).get("status").asText(), "the next coldest goes next");
        Response full = api.post("/capsules", "{}");
        assertEquals(503, full.status(), "only capsules without auto-pause are left: " + full);
        for (String id : List.of(noAutoPause, next)) assertEquals("running", api.capsule(id).get("status").asText());
        assertTrue(api.get("/metrics").text().contains("wrenn_memory_pressure_pauses_total 2.0"), "two pauses counted");
    }

    @Test
    void aCapsuleUsedJustNowIsNotPausedForRoom() {
        server.host().memoryMb(RESERVE_MB + InMemoryHost.VM_MEMORY_MB);
        String busy = api.createRunning("{\"timeout_sec\":3600}");
        Response full = api.post("/capsules", "{}");
        assertEquals(503, full.status(), full::toString);
        assertEquals("running", api.capsule(busy).get("status").asText());
    }

    @Test
    void runningCapsulesThatGrowIntoTheReserveMakeTheHousekeeperPauseIdleOnes() {
        server.host().memoryMb(RESERVE_MB + 2 * InMemoryHost.VM_MEMORY_MB);
        String idle = api.createRunning("{\"timeout_sec\":3600}");
        String kept = api.createRunning("{}");
        Api.sleepFor(MIN_IDLE.plusMillis(100));
        server.host().memoryMb(RESERVE_MB + InMemoryHost.VM_MEMORY_MB);   // as if the guests had grown
        JsonNode paused = api.awaitStatus(idle, "paused", Duration.ofSeconds(5));
        assertEquals("memory_pressure", paused.get("status_reason").asText());
        assertEquals("running", api.capsule(kept).get("status").asText());
    }

    @Test
    void healthAndMetricsShowTheHostsCapacityAndItsUse() {
        server.host().memoryMb(2000);
        api.createRunning("{}");
        JsonNode c = api.withKey(null).get("/api/health").json().get("capacity");
        assertEquals(2000, c.get("memory_total_mb").asLong(), c::toString);
        assertEquals(1900, c.get("memory_free_mb").asLong());
        assertEquals(RESERVE_MB, c.get("memory_reserve_mb").asLong());
        assertEquals(InMemoryHost.VM_MEMORY_MB, c.get("vm_memory_mb").asLong());
        assertEquals(1, c.get("vms").asInt());
        assertEquals((1900 - RESERVE_MB) / InMemoryHost.VM_MEMORY_MB, c.get("room").asLong(), "capsules that still fit");
        String metrics = api.withKey(null).get("/metrics").text();
        assertTrue(metrics.contains("wrenn_host_memory_free_bytes " + 1900 * 1024 * 1024 + ".0")
                || metrics.contains("wrenn_host_memory_free_bytes 1.9922944E9"), metrics);
        assertTrue(metrics.contains("wrenn_host_capsule_room 17.0"), "room in metrics");
        assertTrue(metrics.contains("wrenn_host_memory_reserve_bytes"), "reserve in metrics");
    }
}
