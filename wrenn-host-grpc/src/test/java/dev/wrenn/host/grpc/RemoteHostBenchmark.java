package dev.wrenn.host.grpc;

import dev.wrenn.host.BenchReport;
import dev.wrenn.host.BenchReport.Metric;
import dev.wrenn.host.HostAgent;
import dev.wrenn.host.HostConfig;
import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.FileSet;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.StoredFile;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the host protocol adds: the same host agent called in-process (the embedded default) and
 * through {@link RemoteHost} over gRPC with TLS on loopback, measurements interleaved so both see
 * the same machine. Exec of a short command and create-to-running from the warm pool; the target is
 * at most 5 ms added at the median.
 */
@Tag("bench")
class RemoteHostBenchmark {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int EXEC_RUNS = 200;
    private static final int CREATE_RUNS = 30;

    @Test
    void theWireAddsLittleToExecAndCreate() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-grpc-bench-");
        Path repo = Path.of(System.getProperty("wrenn.repo", "..")).toAbsolutePath().normalize();
        HostAgent agent = HostAgent.start(HostConfig.defaults(dir, repo));
        String token = HostCredential.newToken();
        AgentCertificate tls = AgentCertificate.generate();
        try (HostAgentServer server = HostAgentServer.start(agent, new InetSocketAddress("127.0.0.1", 0), tls,
                HostCredential.callKey(token));
             RemoteHost remote = RemoteHost.connect("bench", new InetSocketAddress("127.0.0.1", server.port()),
                     tls.certificate(), HostCredential.callKey(token))) {
            remote.prepareBuiltIn("minimal");
            // a control plane runs for long: the call path is measured compiled, as it runs there
            for (int i = 0; i < 3000; i++) remote.info();
            long[] call = new long[EXEC_RUNS];
            for (int i = 0; i < EXEC_RUNS; i++) call[i] = timed(remote::info);
            long[][] exec = execs(agent, remote);
            long[][] create = creates(agent, remote);
            List<Metric> metrics = List.of(
                    new Metric("call_remote_ms", ms(call, 50), "ms", Double.NaN, "a call doing nothing on the host: the wire alone"),
                    new Metric("exec_embedded_ms", ms(exec[0], 50), "ms", Double.NaN, "guest agent round trip (TCG)"),
                    new Metric("exec_remote_ms", ms(exec[1], 50), "ms", Double.NaN, "the same through gRPC + TLS"),
                    new Metric("exec_remote_added_ms", ms(exec[1], 50) - ms(exec[0], 50), "ms", 5,
                            "one gRPC call on loopback"),
                    new Metric("exec_remote_added_p95_ms", ms(exec[1], 95) - ms(exec[0], 95), "ms", Double.NaN,
                            "scheduling on 2 cores"),
                    new Metric("create_embedded_ms", ms(create[0], 50), "ms", Double.NaN, "warm-pool restore + identity"),
                    new Metric("create_remote_ms", ms(create[1], 50), "ms", Double.NaN, "the same through gRPC + TLS"),
                    new Metric("create_remote_added_ms", medianDifferenceMs(create), "ms", 5,
                            "one gRPC call; the guest's own time varies by ±15 ms from one create to the next"));
            BenchReport.print(metrics);
            BenchReport.write("remote", "Host protocol (host agent in-process vs over gRPC)",
                    "One host agent called in-process (the embedded default) and through `RemoteHost` over gRPC"
                            + " with TLS on loopback, interleaved in one run (`RemoteHostBenchmark`): " + EXEC_RUNS
                            + " execs of `true`, " + CREATE_RUNS + " creates of `minimal` from the warm pool each"
                            + " (the create's added time is the median of the back-to-back pairs' differences)."
                            + " The API and the control plane in front are the same either way; the agent serves calls"
                            + " on platform threads (virtual ones added 4 ms to an exec here, waiting for a carrier).",
                    metrics);
        } finally {
            agent.capsules().forEach(c -> agent.destroy(c.id()));
            agent.close();
            dev.wrenn.host.storage.FileOps.deleteTree(dir);
        }
    }

    /**
     * A snapshot template of {@code minimal} (a capsule with 64 MiB written) copied to a second
     * agent over gRPC (the first serves it in-process, as a control plane relays it), and a paused
     * capsule moved the same way; beside them what the same work costs without a copy.
     */
    @Test
    void copiesBetweenHosts() throws Exception {
        Path repo = Path.of(System.getProperty("wrenn.repo", "..")).toAbsolutePath().normalize();
        Path dirA = Files.createTempDirectory(Path.of("/tmp"), "wrenn-copy-bench-a-");
        Path dirB = Files.createTempDirectory(Path.of("/tmp"), "wrenn-copy-bench-b-");
        HostAgent a = HostAgent.start(HostConfig.defaults(dirA, repo).withWarmPool(0));
        // b stands for another machine, which boots its own minimal: a's build (its memory and top layer) is not there
        HostAgent b = HostAgent.start(HostConfig.defaults(dirB, repo).withWarmPool(0).withTemplateCache(null));
        String key = HostCredential.callKey(HostCredential.newToken());
        AgentCertificate tls = AgentCertificate.generate();
        try (HostAgentServer server = HostAgentServer.start(b, new InetSocketAddress("127.0.0.1", 0), tls, key);
             RemoteHost remoteB = RemoteHost.connect("bench-b", new InetSocketAddress("127.0.0.1", server.port()),
                     tls.certificate(), key)) {
            a.prepareBuiltIn("minimal");
            b.prepareBuiltIn("minimal");   // as every agent does at its start: the kernel and base image are there already
            String source = newId();
            a.create(source, "minimal", null, null);
            a.guest(source).run(ExecRequest.shell("head -c 67108864 /dev/urandom > /root/data").build());
            a.snapshot(source, "bench-copy", false);
            FileSet template = FileSet.template("bench-copy");
            long t0 = System.nanoTime();
            long size = a.files(template).stream().mapToLong(StoredFile::size).sum();
            double digestMs = (System.nanoTime() - t0) / 1e6;

            String local = newId();
            double createLocalMs = timed(() -> a.create(local, "bench-copy", null, null)) / 1e6;
            a.destroy(local);
            t0 = System.nanoTime();
            long sent = SetCopy.copy(a, remoteB, template);
            double copyMs = (System.nanoTime() - t0) / 1e6;
            String there = newId();
            double createThereMs = timed(() -> remoteB.create(there, "bench-copy", null, null)) / 1e6;
            remoteB.destroy(there);

            a.pause(source);
            double resumeLocalMs = timed(() -> a.resume(source)) / 1e6;
            a.pause(source);
            t0 = System.nanoTime();
            SetCopy.copy(a, remoteB, FileSet.capsule(source));
            a.destroy(source);
            remoteB.resume(source);
            double moveMs = (System.nanoTime() - t0) / 1e6;
            remoteB.destroy(source);

            List<Metric> metrics = List.of(
                    new Metric("template_size_mib", size / 1048576.0, "MiB", Double.NaN, "disk chain, memory file, kernel"),
                    new Metric("template_digest_first_ms", digestMs, "ms", Double.NaN, "once per template, then kept"),
                    new Metric("template_copy_ms", copyMs, "ms", Double.NaN, "to an agent with its own minimal template"),
                    new Metric("template_copy_sent_mib", sent / 1048576.0, "MiB", Double.NaN,
                            "what the receiving agent did not hold (kernel and base image it has)"),
                    new Metric("template_copy_mib_per_s", size / 1048576.0 / (copyMs / 1000), "MiB/s", Double.NaN,
                            "zeros cross as their length; the receiver hashes all"),
                    new Metric("create_from_snapshot_local_ms", createLocalMs, "ms", Double.NaN, "on the host that saved it"),
                    new Metric("create_from_copy_ms", createThereMs, "ms", Double.NaN, "on the other host, after the copy"),
                    new Metric("resume_local_ms", resumeLocalMs, "ms", Double.NaN, "the same capsule, where it is"),
                    new Metric("capsule_move_and_resume_ms", moveMs, "ms", Double.NaN,
                            "files not shared with the template copy, install, resume"));
            BenchReport.print(metrics);
            BenchReport.write("copies", "Copies between hosts (templates everywhere, drain --move)",
                    "A snapshot template of `minimal` with 64 MiB of random data written in its capsule, copied from one"
                            + " host agent (in-process, as the control plane reads it) to a second one over gRPC + TLS on"
                            + " loopback, then a paused capsule moved the same way (`RemoteHostBenchmark.copiesBetweenHosts`)."
                            + " Both agents and the copy share the machine's 2 cores.",
                    metrics);
        } finally {
            for (HostAgent h : List.of(a, b)) {
                h.capsules().forEach(c -> h.destroy(c.id()));
                h.close();
            }
            dev.wrenn.host.storage.FileOps.deleteTree(dirA);
            dev.wrenn.host.storage.FileOps.deleteTree(dirB);
        }
    }

    /** Exec of {@code true}, in-process and remote by turns: [0] in-process, [1] remote, nanoseconds. */
    private static long[][] execs(HostAgent agent, RemoteHost remote) {
        String id = newId();
        agent.create(id, "minimal", null, null);
        try {
            ExecRequest r = ExecRequest.command("true").build();
            for (int i = 0; i < 50; i++) {
                agent.guest(id).run(r);
                remote.guest(id).run(r);
            }
            long[][] t = new long[2][EXEC_RUNS];
            for (int i = 0; i < EXEC_RUNS; i++) {
                t[0][i] = timed(() -> agent.guest(id).run(r));
                t[1][i] = timed(() -> remote.guest(id).run(r));
            }
            return t;
        } finally {
            agent.destroy(id);
        }
    }

    /** Create to running from the warm pool, by turns, the pool refilled before each: [0] in-process, [1] remote, nanoseconds. */
    private static long[][] creates(HostAgent agent, RemoteHost remote) throws InterruptedException {
        long[][] t = new long[2][CREATE_RUNS];
        for (int i = 0; i < CREATE_RUNS; i++) {
            for (int turn = 0; turn < 2; turn++) {
                int side = (i + turn) % 2;   // each side first in every other round
                Host h = side == 0 ? agent : remote;
                awaitWarmClone(agent);
                String id = newId();
                t[side][i] = timed(() -> h.create(id, "minimal", null, null));
                agent.destroy(id);
            }
        }
        return t;
    }

    private static void awaitWarmClone(HostAgent agent) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (agent.warmClones("minimal") < Math.max(1, agent.warmTarget("minimal")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Thread.sleep(200);   // the refill's last steps would compete for the CPU with what is measured
    }

    private static long timed(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }

    private static double ms(long[] nanos, int percentile) {
        long[] v = nanos.clone();
        Arrays.sort(v);
        return v[Math.min(v.length - 1, (int) Math.ceil(percentile / 100.0 * v.length) - 1)] / 1e6;
    }

    /** The median of the runs' differences, remote less in-process, each pair measured back to back. */
    private static double medianDifferenceMs(long[][] t) {
        long[] d = new long[t[0].length];
        for (int i = 0; i < d.length; i++) d[i] = t[1][i] - t[0][i];
        return BenchReport.medianOf(d) / 1e6;
    }

    private static String newId() {
        String alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        StringBuilder sb = new StringBuilder("cl-");
        for (int i = 0; i < 25; i++) sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return sb.toString();
    }
}
