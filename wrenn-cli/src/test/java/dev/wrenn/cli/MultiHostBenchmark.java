package dev.wrenn.cli;

import static dev.wrenn.cli.MultiHostCluster.phase;

import dev.wrenn.host.BenchReport;
import dev.wrenn.host.BenchReport.Metric;
import dev.wrenn.sdk.CreateCapsuleParams;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Creates per second through two control planes ({@link MultiHostCluster}) with one host agent
 * placeable (the other two drained) and with all three, in the same run: bursts of {@value #CREATES}
 * creates at once, each waiting until its capsule runs, alternating between the two setups. On one
 * machine the three agents share its CPUs, so this measures what placement over several hosts
 * costs or saves there, not what more machines would add.
 */
@Tag("bench")
class MultiHostBenchmark {
    private static final int CREATES = 6;
    private static final int ROUNDS = 3;
    private static final CreateCapsuleParams MINIMAL = CreateCapsuleParams.builder().template("minimal").build();

    @Test
    void createsPerSecondWithOneAgentPlaceableAndWithThree() throws Exception {
        try (MultiHostCluster cluster = MultiHostCluster.start(3)) {
            List<String> names = cluster.agents().stream().map(a -> a.name).toList();
            long t0 = System.nanoTime();
            // every agent builds its minimal template before anything is measured (one at a time:
            // placement is steered by draining the others)
            for (String a : names) {
                placeableOnly(cluster, names, List.of(a));
                String id = cluster.client(0).capsules().create(MINIMAL, true).id();
                cluster.client(0).capsules().destroy(id);
            }
            phase("templates_built", t0);

            // a burst of each first, not measured: the warm pools grow to the demand they saw
            placeableOnly(cluster, names, names.subList(0, 1));
            burst(cluster);
            placeableOnly(cluster, names, names);
            burst(cluster);

            double[] one = new double[ROUNDS];
            double[] three = new double[ROUNDS];
            double[] threeAgentsUsed = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                placeableOnly(cluster, names, names.subList(0, 1));
                one[r] = burst(cluster).perSecond();
                placeableOnly(cluster, names, names);
                Burst b = burst(cluster);
                three[r] = b.perSecond();
                threeAgentsUsed[r] = b.agents();
            }
            System.out.println("creates/s with 1 agent " + Arrays.toString(one) + ", with 3 " + Arrays.toString(three)
                    + " (agents used " + Arrays.toString(threeAgentsUsed) + ")");
            List<Metric> metrics = List.of(
                    new Metric("creates_per_sec_1_agent", median(one), "/s", Double.NaN,
                            CREATES + " creates at once on one agent (the other two drained): its warm pool, 2 cores"),
                    new Metric("creates_per_sec_3_agents", median(three), "/s", Double.NaN,
                            "the same with three agents placeable, sharing the same 2 cores"),
                    new Metric("agents_used_3_agents", median(threeAgentsUsed), "agents", Double.NaN,
                            "how many of the three a burst's capsules went to: placement takes the least loaded host"
                                    + " (memory its capsules may use, as a share of its own) that admits the capsule"));
            BenchReport.print(metrics);
            String accelerator = cluster.query("SELECT accelerator FROM hosts WHERE accelerator IS NOT NULL").get(0)[0];
            BenchReport.write("multihost", "Several hosts (control planes and host agents)",
                    String.format(Locale.ROOT, "Measured by `make bench` (date=%s, accelerator=%s, cpus=%d, PostgreSQL)."
                                    + " Two control planes (`wrenn server --no-embedded-host`) behind a TCP load balancer and"
                                    + " three host agents (`wrenn agent`), each in a network namespace of its own on this one"
                                    + " machine (`MultiHostBenchmark`). Bursts of %d creates of `minimal` at once through both"
                                    + " control planes by turns, each waiting until its capsule runs, then destroyed; creates per"
                                    + " second is %d over the time until the last one runs, median of %d bursts per setup after"
                                    + " one burst of each that is not counted (the warm pools grow to the demand they see). The"
                                    + " agents share the machine's cores, so three agents cannot be faster than one here.",
                            LocalDate.now(), accelerator, Runtime.getRuntime().availableProcessors(), CREATES, CREATES, ROUNDS),
                    metrics);
        }
    }

    /** Drains every agent but {@code placeable} (and undrains those). */
    private static void placeableOnly(MultiHostCluster cluster, List<String> all, List<String> placeable) {
        for (String a : all) cluster.drain(a, !placeable.contains(a));
    }

    /** What one burst gave: creates per second and on how many agents its capsules ran. */
    private record Burst(double perSecond, int agents) {
    }

    /** {@value #CREATES} creates at once, each until running. The capsules are destroyed after. */
    private static Burst burst(MultiHostCluster cluster) throws Exception {
        settle(cluster);
        List<Callable<String>> creates = new ArrayList<>();
        for (int i = 0; i < CREATES; i++) {
            int cp = i % 2;
            creates.add(() -> cluster.client(cp).capsules().create(MINIMAL, true).id());
        }
        long t0 = System.nanoTime();
        List<String> ids = MultiHostCluster.inParallel(creates);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Integer> byHost = new TreeMap<>();
        for (String id : ids) byHost.merge(cluster.hostOf(id), 1, Integer::sum);
        System.out.printf(Locale.ROOT, "burst: %d creates in %.2f s on %s%n", CREATES, seconds, byHost);
        List<Callable<Void>> destroys = new ArrayList<>();
        for (String id : ids) {
            destroys.add(() -> {
                cluster.client(1).capsules().destroy(id);
                return null;
            });
        }
        MultiHostCluster.inParallel(destroys);
        return new Burst(CREATES / seconds, byHost.size());
    }

    /**
     * Waits (up to a minute) until no capsule's VM is left and the warm pools have stopped refilling,
     * as the agents' heartbeats tell (their VM count holds the warm clones too): what the last burst
     * left must not compete with the next.
     */
    private static void settle(MultiHostCluster cluster) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        String last = "";
        int stable = 0;
        while (stable < 3 && System.nanoTime() < deadline) {
            String[] row = cluster.query("SELECT COALESCE(SUM(vms), 0), COALESCE(SUM(warm_clones), 0) FROM hosts").get(0);
            String now = row[0] + "/" + row[1];
            stable = row[0].equals(row[1]) && now.equals(last) ? stable + 1 : 0;
            last = now;
            Thread.sleep(1000);
        }
        if (stable < 3) System.out.println("not settled after a minute: VMs/warm clones " + last);
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
