package dev.wrenn.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A machine of its own for one host agent, on this machine: a network namespace joined to this one
 * by a veth pair (10.250.N.1 here, 10.250.N.2 there), and a mount namespace in which what a host
 * agent takes to be the machine's is private to it: {@code /run/netns} (its capsules' network
 * namespaces), {@code /run/wrenn} (its network slot locks) and {@code /sys} (that of its network
 * namespace, so {@code /sys/class/net} lists its own interfaces; the cgroup hierarchies below are
 * kept). Both namespaces outlive the agent, like a machine outlives a crashed agent: the mount
 * namespace is held by a bind mount of it under {@code /run/wrenn-mh-PID}, so an agent started
 * again on it finds its capsules' namespaces where the first one left them.
 *
 * <p>Names carry the test JVM's pid ({@code wrenn-mh-PID-N}, veth {@code wmhPID-N}, at most 15
 * characters); {@link #removeStale} deletes those of JVMs that are gone.
 */
final class AgentNamespace implements AutoCloseable {
    static final String PREFIX = "wrenn-mh-";
    private static final long PID = ProcessHandle.current().pid();
    /** The mount point (private, as bind mounts of mount namespaces require) holding this JVM's mount namespaces. */
    private static final Path RUN_DIR = Path.of("/run", PREFIX + PID);

    final int index;
    /** The network namespace, in /run/netns. */
    final String name;
    /** The veth's end in this machine's namespace: {@code ip link set VETH down} cuts the agent off. */
    final String hostVeth;
    /** This machine's address on the link, where the agent reaches the control planes. */
    final String hostAddress;
    /** The agent's address, where the control planes reach it. */
    final String agentAddress;
    private final Path mountNs;
    private boolean closed;

    private AgentNamespace(int index) {
        this.index = index;
        this.name = PREFIX + PID + "-" + index;
        this.hostVeth = "wmh" + PID + "-" + index;
        this.hostAddress = "10.250." + index + ".1";
        this.agentAddress = "10.250." + index + ".2";
        this.mountNs = RUN_DIR.resolve("mnt-" + index);
    }

    /** Sets up namespace {@code index} (1 to 250). */
    static AgentNamespace create(int index) throws IOException {
        if (index < 1 || index > 250) throw new IllegalArgumentException("index " + index + " is not in 1..250");
        AgentNamespace ns = new AgentNamespace(index);
        try {
            ns.setUp();
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    private void setUp() throws IOException {
        synchronized (AgentNamespace.class) {
            sh("mkdir -p " + RUN_DIR + " && (mountpoint -q " + RUN_DIR + " || mount --bind " + RUN_DIR + " " + RUN_DIR
                    + ") && mount --make-private " + RUN_DIR);
        }
        Path cgroups = RUN_DIR.resolve("cg-" + index);
        sh(String.join("\n",
                "ip netns add " + name,
                "ip link add " + hostVeth + " type veth peer name eth0 netns " + name,
                "ip addr add " + hostAddress + "/30 dev " + hostVeth,
                "ip link set " + hostVeth + " up",
                "ip -n " + name + " link set lo up",
                "ip -n " + name + " addr add " + agentAddress + "/30 dev eth0",
                "ip -n " + name + " link set eth0 up",
                "ip -n " + name + " route add default via " + hostAddress,
                "touch " + mountNs,
                // in the new mount namespace: the network namespace's own /sys with the cgroup
                // hierarchies moved over from the old one, and empty /run/netns and /run/wrenn
                "unshare --mount=" + mountNs + " --propagation private sh -ec '"
                        + "if mountpoint -q /sys/fs/cgroup; then mkdir -p " + cgroups + "; mount --rbind /sys/fs/cgroup " + cgroups + "; fi; "
                        + "umount -l /sys; "
                        + "nsenter --net=/run/netns/" + name + " mount -t sysfs " + name + " /sys; "
                        + "if [ -d " + cgroups + " ]; then mount --move " + cgroups + " /sys/fs/cgroup; fi; "
                        + "mkdir -p /run/netns /run/wrenn; "
                        + "mount -t tmpfs tmpfs /run/netns; "
                        + "mount -t tmpfs tmpfs /run/wrenn'"));
    }

    /** Put before a command line: runs it inside both namespaces, in {@code workDir}, as the same process (no fork). */
    List<String> launcher(Path workDir) {
        return List.of("nsenter", "--mount=" + mountNs, "--net=/run/netns/" + name, "--wd=" + workDir, "--");
    }

    /** Cuts the link between the agent and this machine (nothing is refused: packets are lost). */
    void linkDown() throws IOException {
        sh("ip link set " + hostVeth + " down");
    }

    void linkUp() throws IOException {
        sh("ip link set " + hostVeth + " up");
    }

    /**
     * Kills every process left in the namespaces (the VMs that outlived their agent), then deletes
     * both namespaces; the veth pair and the capsules' namespaces go with them.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        killProcessesIn(Path.of("/run/netns", name), mountNs);
        quietly("umount " + mountNs + " 2>/dev/null || umount -l " + mountNs + " 2>/dev/null; rm -f " + mountNs
                + "; ip netns del " + name + " 2>/dev/null; ip link del " + hostVeth + " 2>/dev/null; true");
    }

    /** After every agent namespace of this JVM is closed: the run directory's mount. */
    static synchronized void closeRunDir() {
        removeRunDir(RUN_DIR);
    }

    /**
     * Deletes what test JVMs that are gone left behind (a run killed before its cleanup): their
     * processes, mount namespaces and network namespaces named {@code wrenn-mh-PID...}.
     */
    static synchronized void removeStale() throws IOException {
        try (Stream<Path> netns = list(Path.of("/run/netns")); Stream<Path> runDirs = list(Path.of("/run"))) {
            for (Path dir : runDirs.toList()) {
                if (staleName(dir.getFileName().toString())) removeRunDir(dir);
            }
            for (Path ns : netns.toList()) {
                String n = ns.getFileName().toString();
                if (!staleName(n)) continue;
                killProcessesIn(ns);
                quietly("ip netns del " + n);
            }
        }
    }

    /** {@code wrenn-mh-PID} or {@code wrenn-mh-PID-N} of a process that is gone. */
    static boolean staleName(String n) {
        if (!n.startsWith(PREFIX)) return false;
        String pid = n.substring(PREFIX.length()).replaceAll("-.*", "");
        return pid.matches("\\d+") && ProcessHandle.of(Long.parseLong(pid)).isEmpty();
    }

    private static void removeRunDir(Path dir) {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> files = list(dir)) {
            for (Path f : files.toList()) {
                if (f.getFileName().toString().startsWith("mnt-")) {
                    killProcessesIn(f);
                    quietly("umount " + f + " 2>/dev/null || umount -l " + f);
                }
            }
        } catch (IOException e) {
            // nothing listed: nothing to unmount
        }
        quietly("umount " + dir + " 2>/dev/null || umount -l " + dir + " 2>/dev/null; rm -rf " + dir);
    }

    /** Kills (SIGKILL) every process whose network or mount namespace is one of {@code namespaceFiles}, and waits for them. */
    private static void killProcessesIn(Path... namespaceFiles) {
        List<String> wanted = new ArrayList<>();
        for (Path f : namespaceFiles) {
            try {
                wanted.add("[" + Files.getAttribute(f, "unix:ino") + "]");
            } catch (IOException | RuntimeException gone) {
                // no such namespace (any more)
            }
        }
        if (wanted.isEmpty()) return;
        List<ProcessHandle> killed = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            if (p.pid() == PID) return;
            for (String kind : List.of("net", "mnt")) {
                try {
                    String link = Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "ns", kind)).toString();
                    if (wanted.stream().anyMatch(link::endsWith)) {
                        p.destroyForcibly();
                        killed.add(p);
                        return;
                    }
                } catch (IOException | RuntimeException gone) {
                    // ended meanwhile, or not ours to inspect
                }
            }
        });
        for (ProcessHandle p : killed) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception stillThere) {
                // reported by the namespace deletion that follows
            }
        }
    }

    private static Stream<Path> list(Path dir) throws IOException {
        return Files.isDirectory(dir) ? Files.list(dir) : Stream.empty();
    }

    /** Runs a shell script as root in this machine's namespaces; fails with its output. */
    static String sh(String script) throws IOException {
        Process p = new ProcessBuilder("sh", "-ec", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("still running after 60 s: " + script);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + script, e);
        }
        if (p.exitValue() != 0) throw new IOException("exit " + p.exitValue() + " of:\n" + script + "\n" + out);
        return out;
    }

    private static void quietly(String script) {
        try {
            sh(script);
        } catch (IOException e) {
            System.err.println("[multi-host] cleanup step failed: " + e.getMessage());
        }
    }
}
