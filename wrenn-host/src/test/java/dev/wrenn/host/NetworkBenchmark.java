package dev.wrenn.host;

import dev.wrenn.host.BenchReport.Metric;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.net.NetworkConfig;
import dev.wrenn.host.storage.Commands;
import dev.wrenn.host.storage.FileOps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What networking costs the paths users take, each beside its baseline from the same run: create
 * and resume on a host with networking against one without (the same machine, interleaved runs),
 * a create with a policy of its own, and a download in a capsule against the host's own download
 * of the same bytes from the same server ({@link TestPeer}). Not a test: it asserts nothing.
 */
@Tag("bench")
class NetworkBenchmark {
    private static final int RUNS = 10;
    private static final long DOWNLOAD_BYTES = 64L << 20;
    private static final int DOWNLOAD_RUNS = 5;

    @Test
    void network() throws Exception {
        HostAgent net = TestHost.agent();
        Path offDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-bench-nonet-");
        HostAgent off = HostAgent.start(TestHost.config(offDir).withNetwork(NetworkConfig.off()));
        off.ensureBuiltIn(BuiltInTemplate.MINIMAL);
        NetworkPolicy policy = NetworkPolicy.of(true, List.of(TestPeer.NETWORK), List.of("203.0.113.0/24"));
        List<Metric> metrics = new ArrayList<>();
        try (TestPeer peer = TestPeer.start()) {
            long[] createNet = new long[RUNS];
            long[] createOff = new long[RUNS];
            long[] createPolicy = new long[RUNS];
            long[] resumeNet = new long[RUNS];
            long[] resumeOff = new long[RUNS];
            for (int i = 0; i < RUNS; i++) {
                createNet[i] = createAndCycle(net, NetworkPolicy.DEFAULT, resumeNet, i);
                createOff[i] = createAndCycle(off, NetworkPolicy.DEFAULT, resumeOff, i);
                createPolicy[i] = createAndCycle(net, policy, null, i);
            }
            double cNet = BenchReport.medianNanosAsMs(createNet);
            double cOff = BenchReport.medianNanosAsMs(createOff);
            double rNet = BenchReport.medianNanosAsMs(resumeNet);
            double rOff = BenchReport.medianNanosAsMs(resumeOff);
            metrics.add(new Metric("create_ms_network", cNet, "ms", Double.NaN, "warm clone + its namespace, set up ahead"));
            metrics.add(new Metric("create_ms_no_network", cOff, "ms", Double.NaN, "baseline: the same on a host with networking off"));
            metrics.add(new Metric("create_network_added_ms", cNet - cOff, "ms", 5, "a ready namespace is handed over; nothing is set up on the path"));
            metrics.add(new Metric("create_policy_added_ms", BenchReport.medianNanosAsMs(createPolicy) - cNet, "ms", Double.NaN,
                    "a policy of its own: one nft transaction in the namespace (fork+exec of nsenter and nft)"));
            metrics.add(new Metric("resume_ms_network", rNet, "ms", Double.NaN, "resume into a namespace from the pool"));
            metrics.add(new Metric("resume_ms_no_network", rOff, "ms", Double.NaN, "baseline: the same on a host with networking off"));
            metrics.add(new Metric("resume_network_added_ms", rNet - rOff, "ms", 5, "a ready namespace is taken; its TAP is opened by QEMU"));
            download(net, policy, metrics);
        } finally {
            off.close();
            FileOps.deleteTree(offDir);
        }
        BenchReport.print(metrics);
        BenchReport.write("network", "Network (host agent, no HTTP)", "Measured by `make bench` (date=" + LocalDate.now()
                + ", accelerator=" + net.accelerator().label() + ", cpus=" + Runtime.getRuntime().availableProcessors()
                + ", template=minimal), medians of " + RUNS + " interleaved runs; downloads of "
                + (DOWNLOAD_BYTES >> 20) + " MiB from a server in a namespace of this machine, medians of " + DOWNLOAD_RUNS + " each way in turn.", metrics);
    }

    /** Creates a capsule (the time returned), and when {@code resumes} is given times its second resume. */
    private static long createAndCycle(HostAgent host, NetworkPolicy policy, long[] resumes, int i) {
        TestHost.awaitWarmClone(host);
        String id = TestHost.newId();
        long t0 = System.nanoTime();
        host.create(id, "minimal", null, null, policy);
        long created = System.nanoTime() - t0;
        try {
            if (resumes != null) {
                // a later cycle is timed: a first resume loads the whole RAM stream, whose spread
                // (0.5–1.3 s here) would swamp a comparison at the 5 ms scale; the network's part is the same
                host.pause(id);
                host.resume(id);
                host.pause(id);
                Thread.sleep(500);   // the pool refills what the create took before the resume is timed
                t0 = System.nanoTime();
                host.resume(id);
                resumes[i] = System.nanoTime() - t0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            host.destroy(id);
        }
        return created;
    }

    /** The time {@code DOWNLOAD_BYTES} took at the speed curl reported (bytes per second). */
    private static long nanosFor(String curlSpeed) {
        return (long) (DOWNLOAD_BYTES / Double.parseDouble(curlSpeed.strip()) * 1e9);
    }

    private static void download(HostAgent host, NetworkPolicy policy, List<Metric> metrics) throws Exception {
        String id = TestHost.newId();
        host.create(id, "minimal", null, null, policy);
        try {
            String url = TestPeer.url("/bytes?n=" + DOWNLOAD_BYTES);
            TestHost.out(id, "curl -sS -o /dev/null " + url);   // warm: TCG translates curl's and the stack's code once
            String speed = "curl -sS -o /dev/null -w '%{speed_download}' " + url;
            long[] guestNanos = new long[DOWNLOAD_RUNS];
            long[] hostNanos = new long[DOWNLOAD_RUNS];
            for (int i = 0; i < DOWNLOAD_RUNS; i++) {   // in turns, so a busy moment of the machine hits both sides
                guestNanos[i] = nanosFor(TestHost.out(id, speed));
                hostNanos[i] = nanosFor(Commands.run(Path.of("/"), "sh", "-c", speed));   // the same program on the host
            }
            double guest = DOWNLOAD_BYTES / 1048576.0 / (BenchReport.medianOf(guestNanos) / 1e9);
            double hostSpeed = DOWNLOAD_BYTES / 1048576.0 / (BenchReport.medianOf(hostNanos) / 1e9);
            metrics.add(new Metric("download_guest_mib_s", guest, "MiB/s", Double.NaN, "curl in the capsule: virtio-net under TCG, NAT twice"));
            metrics.add(new Metric("download_host_mib_s", hostSpeed, "MiB/s", Double.NaN, "baseline: curl on the host, the same bytes from the same server"));
            metrics.add(new Metric("download_guest_percent_of_host", 100 * guest / hostSpeed, "%", 50, true,
                    "guest CPU under TCG runs the TCP stack and copies every byte (offloads on: TSO/GSO, merged buffers)"));
        } finally {
            host.destroy(id);
        }
    }

}
