package dev.wrenn.host.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The governor's rule, tick by tick, over groups whose CPU demand the test sets (the real cgroups and
 * spinning VMs are in IsolationTest): busy for seconds → a tenth of the weight, calm again → back;
 * bursts keep it; a restarted governor repairs a calm group left weighted down; the group of an
 * ended VM goes after it has been seen empty twice.
 */
class CpuGovernorTest {
    private static final long SECOND = 1_000_000_000L;

    /** Groups in memory: CPU time, vCPUs, weight, processes. */
    private static final class FakeCgroups implements VmCgroups {
        final Map<String, Long> nanos = new HashMap<>();
        final Map<String, Integer> vcpus = new HashMap<>();
        final Map<String, Integer> weights = new HashMap<>();
        final Set<String> empty = new HashSet<>();

        void add(String vm, int cpus) {
            nanos.put(vm, 0L);
            vcpus.put(vm, cpus);
            weights.put(vm, VmLimits.WEIGHT_PER_VCPU * cpus);
        }

        /** {@code vm} wants {@code cores} for one second. */
        void run(String vm, double cores) {
            nanos.merge(vm, (long) (cores * SECOND), Long::sum);
        }

        @Override
        public void place(String vm, long pid, VmLimits limits) {
            add(vm, limits.vcpus());
        }

        @Override
        public List<String> groups() {
            return new ArrayList<>(nanos.keySet());
        }

        @Override
        public Optional<Long> cpuDemandNanos(String vm) {
            return Optional.ofNullable(nanos.get(vm));
        }

        @Override
        public Optional<Integer> vcpus(String vm) {
            return Optional.ofNullable(vcpus.get(vm));
        }

        @Override
        public void weigh(String vm, int weight) {
            weights.put(vm, weight);
        }

        @Override
        public boolean isEmpty(String vm) {
            return empty.contains(vm);
        }

        @Override
        public boolean removeIfEmpty(String vm) {
            if (!empty.contains(vm)) return false;
            nanos.remove(vm);
            vcpus.remove(vm);
            weights.remove(vm);
            return true;
        }

        @Override
        public void release() {}

        @Override
        public String describe() {
            return "fake";
        }
    }

    private final FakeCgroups groups = new FakeCgroups();
    private final CpuGovernor governor = new CpuGovernor(groups);

    private void seconds(int n, Map<String, Double> load) {
        for (int i = 0; i < n; i++) {
            load.forEach(groups::run);
            governor.tick(SECOND);
        }
    }

    @Test
    void aVmBusyForSecondsIsWeightedDownAndBackUpOnceCalm() {
        groups.add("spinner", 2);
        groups.add("quiet", 1);
        seconds(1, Map.of());
        seconds(2, Map.of("spinner", 2.0));
        assertEquals(200, groups.weights.get("spinner"), "two seconds are a burst, not batch work");
        seconds(2, Map.of("spinner", 2.0));
        assertEquals(20, groups.weights.get("spinner"), "busy for seconds: a tenth");
        assertEquals(100, groups.weights.get("quiet"));
        seconds(3, Map.of("spinner", 0.6));
        assertEquals(20, groups.weights.get("spinner"), "still above the calm line (0.2 core per vCPU)");
        seconds(10, Map.of("spinner", 0.0));
        assertEquals(200, groups.weights.get("spinner"), "calm again: full weight");
    }

    @Test
    void burstsOfAQuietVmKeepItsFullWeight() {
        groups.add("quiet", 1);
        seconds(1, Map.of());
        for (int i = 0; i < 10; i++) {
            seconds(1, Map.of("quiet", 1.0));   // a command or a resume: one second in five
            seconds(4, Map.of("quiet", 0.0));
        }
        assertEquals(100, groups.weights.get("quiet"));
    }

    @Test
    void aRestartedGovernorRestoresACalmGroupLeftWeightedDown() {
        groups.add("calm", 1);
        groups.weights.put("calm", 10);   // a host agent stopped while it was weighted down
        seconds(2, Map.of());
        assertEquals(100, groups.weights.get("calm"));
    }

    @Test
    void theGroupOfAnEndedVmIsRemovedAfterItWasSeenEmptyTwice() {
        groups.add("ended", 1);
        groups.empty.add("ended");
        governor.tick(SECOND);
        assertTrue(groups.nanos.containsKey("ended"), "empty once: it may be a group whose VM is moving in");
        governor.tick(SECOND);
        assertFalse(groups.nanos.containsKey("ended"), "removed");
    }
}
