package dev.wrenn.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Settings of one control plane with its embedded host agent.
 *
 * @param databaseUrl      null = SQLite file {@code wrenn.db} in the data dir
 * @param repoDir          the checkout whose guest/images/build.sh builds missing guest images; null = never build
 * @param hostVcpus        vCPUs of the host before overcommit (for the optional limit by reservation)
 * @param hostMemoryMb     memory of the host available to capsules, in MiB, before overcommit (same)
 * @param vcpuOvercommit   the optional limit on vCPUs capsules reserve together: this many per host vCPU (0 = none)
 * @param memoryOvercommit the optional limit on memory_mb capsules reserve together, as a factor on hostMemoryMb (0 = none)
 * @param memoryReserveMb  free host memory admission keeps: a create or resume that would leave less pauses idle
 *                         capsules with auto-pause, or gets 503 (capsule.Capacity)
 * @param pressureMinIdle  a capsule used within this long is never paused to make room for memory
 * @param teamActiveLimit  capsules a team may have pending, starting or running at once (0 = no limit)
 * @param keyRequestRate   requests per second one API key may make (0 = no limit)
 * @param prepareTemplates boot the built-in templates at start (in the background) rather than on first use
 * @param proxyDomain      port URLs are {@code {port}-{capsule id}.DOMAIN}; null = under any host name (api.md §9)
 * @param proxyResponseTimeout how long the port proxy waits for a service's first answer byte before a 504
 * @param hostSilentAfter  a host agent on another machine not heard from for this long is unreachable
 */
public record ServerConfig(String bindHost, int port, Path dataDir, String databaseUrl, Path repoDir,
                           int maxVcpus, int maxMemoryMb, int hostVcpus, long hostMemoryMb, double vcpuOvercommit,
                           double memoryOvercommit, long memoryReserveMb, Duration pressureMinIdle, int teamActiveLimit, double keyRequestRate, Duration stoppedRetention,
                           Duration autoPauseInterval, Duration shutdownGrace, boolean prepareTemplates, String proxyDomain,
                           Duration proxyResponseTimeout, Duration hostSilentAfter) {

    public ServerConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port + " is not in 0..65535");
        if (maxVcpus < 1) throw new IllegalArgumentException("max vcpus must be at least 1");
        if (maxMemoryMb < 128) throw new IllegalArgumentException("max memory must be at least 128 MiB");
        if (vcpuOvercommit < 0 || memoryOvercommit < 0) throw new IllegalArgumentException("overcommit must be 0 (no limit) or positive");
        if (memoryReserveMb < 0) throw new IllegalArgumentException("memory reserve must not be negative, got " + memoryReserveMb);
        if (proxyDomain != null) {
            proxyDomain = proxyDomain.strip().toLowerCase(Locale.ROOT);
            if (!proxyDomain.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?")) {
                throw new IllegalArgumentException("proxy domain '" + proxyDomain + "' is not a DNS name (like wrenn.example.com)");
            }
        }
        if (proxyResponseTimeout.isNegative() || proxyResponseTimeout.isZero()) {
            throw new IllegalArgumentException("proxy response timeout must be positive, got " + proxyResponseTimeout);
        }
        if (hostSilentAfter.compareTo(Duration.ofSeconds(3)) < 0) {
            throw new IllegalArgumentException("a host must be given at least 3 s before it counts as unreachable, got "
                    + hostSilentAfter.toMillis() + " ms");
        }
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** How often host agents are asked to send their heartbeat: three of them fit in the time that makes a host unreachable. */
    public Duration heartbeatInterval() {
        return hostSilentAfter.dividedBy(3);
    }

    public Path sqliteFile() {
        return dataDir.resolve("wrenn.db");
    }

    public Builder toBuilder() {
        Builder b = new Builder(dataDir);
        b.bindHost = bindHost;
        b.port = port;
        b.databaseUrl = databaseUrl;
        b.repoDir = repoDir;
        b.maxVcpus = maxVcpus;
        b.maxMemoryMb = maxMemoryMb;
        b.hostVcpus = hostVcpus;
        b.hostMemoryMb = hostMemoryMb;
        b.vcpuOvercommit = vcpuOvercommit;
        b.memoryOvercommit = memoryOvercommit;
        b.memoryReserveMb = memoryReserveMb;
        b.pressureMinIdle = pressureMinIdle;
        b.teamActiveLimit = teamActiveLimit;
        b.keyRequestRate = keyRequestRate;
        b.stoppedRetention = stoppedRetention;
        b.autoPauseInterval = autoPauseInterval;
        b.shutdownGrace = shutdownGrace;
        b.prepareTemplates = prepareTemplates;
        b.proxyDomain = proxyDomain;
        b.proxyResponseTimeout = proxyResponseTimeout;
        b.hostSilentAfter = hostSilentAfter;
        return b;
    }

    public static final class Builder {
        private final Path dataDir;
        private String bindHost = "0.0.0.0";
        private int port = 8080;
        private String databaseUrl;
        private Path repoDir;
        private int maxVcpus = 8;
        private int maxMemoryMb = 16384;
        private int hostVcpus = Runtime.getRuntime().availableProcessors();
        private long hostMemoryMb = hostMemoryMbMinusReserve();
        // admission goes by what capsules really use; limits by what they reserve are the operator's choice
        private double vcpuOvercommit = 0;
        private double memoryOvercommit = 0;
        private long memoryReserveMb = defaultMemoryReserveMb();
        private Duration pressureMinIdle = Duration.ofSeconds(10);
        private int teamActiveLimit = 0;
        private double keyRequestRate = 0;
        private Duration stoppedRetention = Duration.ofDays(7);
        private Duration autoPauseInterval = Duration.ofMillis(500);
        private Duration shutdownGrace = Duration.ofSeconds(60);
        private boolean prepareTemplates = true;
        private String proxyDomain;
        private Duration proxyResponseTimeout = Duration.ofSeconds(60);
        // three missed heartbeats
        private Duration hostSilentAfter = Duration.ofSeconds(15);

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        public Builder bindHost(String v) { bindHost = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder databaseUrl(String v) { databaseUrl = v; return this; }
        public Builder repoDir(Path v) { repoDir = v; return this; }
        public Builder maxVcpus(int v) { maxVcpus = v; return this; }
        public Builder maxMemoryMb(int v) { maxMemoryMb = v; return this; }
        public Builder hostVcpus(int v) { hostVcpus = v; return this; }
        public Builder hostMemoryMb(long v) { hostMemoryMb = v; return this; }
        public Builder vcpuOvercommit(double v) { vcpuOvercommit = v; return this; }
        public Builder memoryOvercommit(double v) { memoryOvercommit = v; return this; }
        public Builder memoryReserveMb(long v) { memoryReserveMb = v; return this; }
        public Builder pressureMinIdle(Duration v) { pressureMinIdle = v; return this; }
        public Builder teamActiveLimit(int v) { teamActiveLimit = v; return this; }
        public Builder keyRequestRate(double v) { keyRequestRate = v; return this; }
        public Builder stoppedRetention(Duration v) { stoppedRetention = v; return this; }
        public Builder autoPauseInterval(Duration v) { autoPauseInterval = v; return this; }
        public Builder shutdownGrace(Duration v) { shutdownGrace = v; return this; }
        public Builder prepareTemplates(boolean v) { prepareTemplates = v; return this; }
        public Builder proxyDomain(String v) { proxyDomain = v; return this; }
        public Builder proxyResponseTimeout(Duration v) { proxyResponseTimeout = v; return this; }
        public Builder hostSilentAfter(Duration v) { hostSilentAfter = v; return this; }

        public ServerConfig build() {
            return new ServerConfig(bindHost, port, dataDir, databaseUrl, repoDir, maxVcpus, maxMemoryMb, hostVcpus,
                    hostMemoryMb, vcpuOvercommit, memoryOvercommit, memoryReserveMb, pressureMinIdle, teamActiveLimit, keyRequestRate, stoppedRetention, autoPauseInterval,
                    shutdownGrace, prepareTemplates, proxyDomain, proxyResponseTimeout, hostSilentAfter);
        }
    }

    /** MemTotal less 1 GiB for the host itself (and this JVM). */
    private static long hostMemoryMbMinusReserve() {
        return Math.max(512, memTotalMb() - 1024);
    }

    /**
     * 5% of MemTotal, at least 512 MiB: room for this JVM and the host's own work to grow, and for the
     * capsules admitted in the second before their memory shows, before the kernel has to page.
     */
    private static long defaultMemoryReserveMb() {
        return Math.max(512, memTotalMb() / 20);
    }

    private static long memTotalMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or an odd /proc: fall through to a conservative figure
        }
        return 5120;
    }
}
