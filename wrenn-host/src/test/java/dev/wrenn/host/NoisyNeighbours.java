package dev.wrenn.host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The noisy-neighbour measurement: a quiet 1-vCPU capsule's resume and exec (a command in the
 * running capsule, after the first one since the resume), first on an idle host, then beside two
 * 2-vCPU capsules each spinning on both vCPUs, in one run.
 */
final class NoisyNeighbours {
    /** Time the CPU governor needs to see the spinners as busy (its average has ~5 s of memory). */
    private static final Duration SETTLE = Duration.ofSeconds(8);
    static final String SPIN = "for i in 1 2; do nohup sh -c 'while :; do :; done' >/dev/null 2>&1 & done";

    /** Resume and exec times of one quiet capsule, in ns, one of each per round. */
    record Timings(long[] resumeNanos, long[] execNanos) {
        static double ms(long nanos) {
            return nanos / 1e6;
        }

        double resumeMedianMs() {
            return BenchReport.medianNanosAsMs(resumeNanos);
        }

        double execMedianMs() {
            return BenchReport.medianNanosAsMs(execNanos);
        }

        double resumeWorstMs() {
            return ms(Arrays.stream(resumeNanos).max().orElseThrow());
        }

        double execWorstMs() {
            return ms(Arrays.stream(execNanos).max().orElseThrow());
        }
    }

    record Result(Timings idle, Timings noisy) {}

    private NoisyNeighbours() {}

    static Result measure(HostAgent host, int rounds) throws InterruptedException {
        TestHost.awaitWarmClone(host);
        String quiet = TestHost.create("minimal");
        List<String> spinners = new ArrayList<>();
        try {
            Timings idle = time(host, quiet, rounds);
            for (int i = 0; i < 2; i++) {
                String id = TestHost.newId();
                host.create(id, "minimal", 2, 512);
                spinners.add(id);
                TestHost.out(id, SPIN);
            }
            Thread.sleep(SETTLE);
            Timings noisy = time(host, quiet, rounds);
            return new Result(idle, noisy);
        } finally {
            spinners.forEach(host::destroy);
            host.destroy(quiet);
        }
    }

    private static Timings time(HostAgent host, String id, int rounds) {
        long[] resume = new long[rounds];
        long[] exec = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            host.pause(id);
            long t0 = System.nanoTime();
            host.resume(id);
            resume[i] = System.nanoTime() - t0;
            TestHost.out(id, "true");   // the first command after a restore pays for translating the guest's code afresh
            long t1 = System.nanoTime();
            TestHost.out(id, "true");
            exec[i] = System.nanoTime() - t1;
        }
        return new Timings(resume, exec);
    }

    /** The directory of the cgroup {@code pid} is in for {@code controller}, on this machine's v1 or v2 hierarchy. */
    static Optional<Path> cgroupOf(long pid, String controller) throws java.io.IOException {
        boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))) {
            String[] f = line.split(":", 3);
            if (v2 && f[1].isEmpty()) return Optional.of(Path.of("/sys/fs/cgroup" + f[2]));
            if (!v2 && Arrays.asList(f[1].split(",")).contains(controller)) {
                return Optional.of(Path.of("/sys/fs/cgroup", f[1], f[2].substring(1)));
            }
        }
        return Optional.empty();
    }
}
