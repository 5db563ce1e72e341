package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.cgroup.VmLimits;
import dev.wrenn.host.vmm.Accelerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Each capsule's VMM runs in a cgroup of its own with limits from its size, a capsule that keeps
 * its CPUs busy is weighted down while it does, and a quiet capsule beside two spinning ones still
 * resumes and runs commands (a short run of the noisy-neighbour measurement of `make soak`, with a
 * generous bound: the 1.5× target is for the benchmark's figures, not for a test).
 */
class IsolationTest {
    @Test
    void aCapsulesVmmRunsWithinLimitsOfItsSizeAndIsWeightedDownWhileItSpins() throws Exception {
        HostAgent host = TestHost.agent();
        String id = TestHost.newId();
        host.create(id, "minimal", 2, 768);
        try {
            long pid = host.vmmPid(id);
            Path cpu = NoisyNeighbours.cgroupOf(pid, "cpu").orElseThrow();
            Path memory = NoisyNeighbours.cgroupOf(pid, "memory").orElseThrow();
            Path pids = NoisyNeighbours.cgroupOf(pid, "pids").orElseThrow();
            assertTrue(cpu.getParent().getFileName().toString().startsWith("wrenn-"), "in a group of this host's: " + cpu);
            VmLimits expected = VmLimits.of(2, 768, host.accelerator());
            boolean v2 = Files.exists(cpu.resolve("cpu.max"));
            assertEquals(v2 ? "200000 100000" : "200000", read(cpu, v2 ? "cpu.max" : "cpu.cfs_quota_us"), "ceiling: 2 vCPUs");
            assertEquals(Long.toString(expected.memoryBytes()), read(memory, v2 ? "memory.max" : "memory.limit_in_bytes"),
                    "memory: 768 MiB and the VMM's overhead");
            assertEquals(Integer.toString(expected.pids()), read(pids, "pids.max"));
            assertTrue(expected.memoryBytes() < (768L + 512) << 20, "the overhead is bounded");

            String full = weight(cpu, v2, 200);
            assertEquals(full, read(cpu, v2 ? "cpu.weight" : "cpu.shares"), "weight: 2 vCPUs");
            TestHost.out(id, NoisyNeighbours.SPIN);
            awaitFile(cpu, v2 ? "cpu.weight" : "cpu.shares", weight(cpu, v2, 20), Duration.ofSeconds(20));
            TestHost.out(id, "pkill -f '^sh -c while'");
            awaitFile(cpu, v2 ? "cpu.weight" : "cpu.shares", full, Duration.ofSeconds(30));
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void aQuietCapsuleBesideTwoSpinningOnesStillResumesAndRunsCommands() throws Exception {
        NoisyNeighbours.Result r = NoisyNeighbours.measure(TestHost.agent(), 3);
        String figures = String.format(Locale.ROOT, "resume %.0f -> %.0f ms, exec %.0f -> %.0f ms (median of 3)",
                r.idle().resumeMedianMs(), r.noisy().resumeMedianMs(), r.idle().execMedianMs(), r.noisy().execMedianMs());
        System.out.println("noisy neighbours: " + figures);
        assertTrue(r.noisy().resumeMedianMs() < 3 * r.idle().resumeMedianMs(), figures);
        assertTrue(r.noisy().execMedianMs() < 3 * r.idle().execMedianMs() + 20, figures);
    }

    private static String weight(Path cpu, boolean v2, int weight) {
        return Long.toString(v2 ? weight : weight * 1024L / 100);
    }

    private static String read(Path dir, String file) throws IOException {
        return Files.readString(dir.resolve(file)).trim();
    }

    private static void awaitFile(Path dir, String file, String value, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (!read(dir, file).equals(value)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(dir.resolve(file) + " is " + read(dir, file) + ", not " + value + " after " + within);
            }
            Thread.sleep(200);
        }
    }
}
