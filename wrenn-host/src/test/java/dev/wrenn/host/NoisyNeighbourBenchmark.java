package dev.wrenn.host;

import dev.wrenn.host.BenchReport.Metric;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A quiet capsule's resume and exec beside two 2-vCPU capsules spinning on both vCPUs, against the
 * same on an idle host in the same run (issue: within 1.5× at the median, 3× at worst of 10).
 */
@Tag("bench")
class NoisyNeighbourBenchmark {
    private static final int ROUNDS = 10;

    @Test
    void quietCapsuleBesideSpinningOnes() throws Exception {
        HostAgent host = TestHost.agent();
        NoisyNeighbours.Result r = NoisyNeighbours.measure(host, ROUNDS);
        NoisyNeighbours.Timings idle = r.idle();
        NoisyNeighbours.Timings noisy = r.noisy();
        String bound = "CPU weight of busy capsules cut to a tenth (docs/runtime.md \"Isolation\")";
        List<Metric> metrics = List.of(
                new Metric("noisy_resume_idle_host_ms", idle.resumeMedianMs(), "ms", Double.NaN, "baseline, same run"),
                new Metric("noisy_resume_ms", noisy.resumeMedianMs(), "ms", Double.NaN, "beside two spinning 2-vCPU capsules"),
                new Metric("noisy_resume_ratio", noisy.resumeMedianMs() / idle.resumeMedianMs(), "×", 1.5, bound),
                new Metric("noisy_resume_worst_ratio", noisy.resumeWorstMs() / idle.resumeMedianMs(), "×", 3, bound),
                new Metric("noisy_exec_idle_host_ms", idle.execMedianMs(), "ms", Double.NaN, "baseline, same run"),
                new Metric("noisy_exec_ms", noisy.execMedianMs(), "ms", Double.NaN, "beside two spinning 2-vCPU capsules"),
                new Metric("noisy_exec_ratio", noisy.execMedianMs() / idle.execMedianMs(), "×", 1.5, bound),
                new Metric("noisy_exec_worst_ratio", noisy.execWorstMs() / idle.execMedianMs(), "×", 3, bound));
        BenchReport.print(metrics);
        System.out.printf(java.util.Locale.ROOT, "SOAK noisy_neighbour rounds=%d resume_ratio=%.2f resume_worst_ratio=%.2f"
                + " exec_ratio=%.2f exec_worst_ratio=%.2f%n", ROUNDS, metrics.get(2).value(), metrics.get(3).value(),
                metrics.get(6).value(), metrics.get(7).value());
        BenchReport.write("noisy", "Noisy neighbours (host agent, no HTTP)", "Measured by `make bench` (date=" + LocalDate.now()
                + ", accelerator=" + host.accelerator().label() + ", cpus=" + Runtime.getRuntime().availableProcessors()
                + ", template=minimal): a 1-vCPU capsule paused and resumed, then a command run in it (after the first"
                + " one since the resume), " + ROUNDS + " rounds on an idle host, then " + ROUNDS + " beside two 2-vCPU"
                + " capsules each spinning on both vCPUs; ratios are to the idle host's median, worst = slowest of "
                + ROUNDS + ".", metrics);
    }
}
