package dev.wrenn.host.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.host.cgroup.VmCgroups;
import dev.wrenn.host.cgroup.VmLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One QEMU process running one VM, driven over QMP. QEMU runs in its own session (setsid) so it
 * outlives the host agent, which can {@link #attach} to it again after a restart.
 */
public final class QemuVm implements Vm {
    private static final Logger log = LoggerFactory.getLogger(QemuVm.class);
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
    private static final long POLL_NANOS = 1_000_000;
    /** Free space below which a failed save counts as a full disk: a device state is a few hundred KiB. */
    private static final long ROOM = 16L << 20;

    private final String name;
    private volatile Path dir;
    private final long pid;
    private final QmpClient qmp;
    private volatile boolean exitExpected;

    private QemuVm(String name, Path dir, long pid, QmpClient qmp) {
        this.name = name;
        this.dir = dir;
        this.pid = pid;
        this.qmp = qmp;
    }

    /** Starts QEMU for {@code spec} and connects to its QMP socket. */
    static QemuVm launch(VmSpec spec, String qemuBinary, Accelerator accel, Duration timeout, VmCgroups cgroups)
            throws IOException {
        Path dir = spec.dir();
        Files.deleteIfExists(dir.resolve(VmSpec.QMP_SOCKET));
        Files.deleteIfExists(dir.resolve(VmSpec.GUEST_SOCKET));
        List<String> args = new java.util.ArrayList<>(List.of("setsid"));
        // nsenter setns()es and execs: QEMU keeps its pid and opens the namespace's own tap0
        if (spec.nic() instanceof NicBackend.Tap tap) args.addAll(List.of("nsenter", "--net=" + tap.netns()));
        args.addAll(spec.qemuArgs(qemuBinary, accel));
        Process p = new ProcessBuilder(args)
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(VmSpec.VMM_LOG).toFile()))
                .start();
        try {
            // at once, while QEMU still sets itself up: the guest runs no instruction outside its limits
            cgroups.place(spec.name(), p.pid(), VmLimits.of(spec.vcpus(), spec.memoryMb(), accel));
        } catch (IOException | RuntimeException e) {
            p.destroyForcibly();
            throw new VmmException(spec.name() + ": could not put QEMU in its cgroup: " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Path qmpSocket = dir.resolve(VmSpec.QMP_SOCKET);
        while (!Files.exists(qmpSocket)) {
            if (!p.isAlive()) {
                throw new VmmException(spec.name() + ": QEMU exited at start (code " + p.exitValue() + "): "
                        + tail(dir.resolve(VmSpec.VMM_LOG), 2000));
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new VmmException(spec.name() + ": QEMU did not open its QMP socket within " + timeout);
            }
            sleepNanos(POLL_NANOS);
        }
        try {
            QmpClient qmp = connectWhenListening(spec.name(), qmpSocket, p, deadline, timeout);
            return new QemuVm(spec.name(), dir, p.pid(), qmp);
        } catch (IOException | RuntimeException e) {
            p.destroyForcibly();
            throw new VmmException(spec.name() + ": could not connect to QMP: " + e.getMessage()
                    + "; " + tail(dir.resolve(VmSpec.VMM_LOG), 2000), e);
        }
    }

    /** QEMU binds the socket a moment before it listens on it: a refused connect is retried. */
    private static QmpClient connectWhenListening(String name, Path socket, Process p, long deadline, Duration timeout)
            throws IOException {
        while (true) {
            try {
                return QmpClient.connect(name, socket, timeout);
            } catch (java.net.ConnectException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) throw e;
                sleepNanos(POLL_NANOS);
            }
        }
    }

    /**
     * Finds the QEMU of a VM started earlier (by this or a previous host agent) by its pid file,
     * checks that the pid is still that VM, and reconnects QMP. Empty when it is not running.
     */
    static Optional<QemuVm> attach(String name, Path dir, Duration timeout) {
        try {
            Path pidFile = dir.resolve(VmSpec.PID_FILE);
            if (!Files.exists(pidFile)) return Optional.empty();
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
            if (!Files.exists(cmdline)) return Optional.empty();
            String cmd = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8);
            if (!cmd.contains("wrenn-" + name + "\0")) return Optional.empty();
            return Optional.of(new QemuVm(name, dir, pid, QmpClient.connect(name, dir.resolve(VmSpec.QMP_SOCKET), timeout)));
        } catch (IOException | RuntimeException e) {
            log.atWarn().addKeyValue("vm", name).log("could not attach to VMM: {}", e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Kills every QEMU whose working directory is {@code dir}: a VM left behind by a host agent
     * that died while starting, restoring or building it, which {@link #attach} could not take
     * over. The pid file cannot be trusted here (QEMU may not have written it yet), so /proc is
     * searched. Returns how many were killed.
     */
    static int killAllIn(Path dir) {
        Path target = dir.toAbsolutePath().normalize();
        int killed = 0;
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    if (!Files.readSymbolicLink(proc.resolve("cwd")).equals(target)) continue;
                    String cmd = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (!cmd.contains("qemu-system")) continue;
                    long pid = Long.parseLong(proc.getFileName().toString());
                    ProcessHandle.of(pid).ifPresent(h -> {
                        h.destroyForcibly();
                        h.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(t -> null).join();
                    });
                    killed++;
                } catch (IOException | RuntimeException e) {
                    // the process ended while we looked, or is not ours to inspect
                }
            }
        } catch (IOException e) {
            log.atWarn().addKeyValue("dir", dir).log("could not search /proc for stray VMs: {}", e.getMessage());
        }
        return killed;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long pid() {
        return pid;
    }

    /** The VM's directory was renamed (a warm clone handed to its capsule); QEMU itself follows by inode. */
    @Override
    public void movedTo(Path newDir) {
        this.dir = newDir;
    }

    @Override
    public Path guestSocket() {
        return dir.resolve(VmSpec.GUEST_SOCKET);
    }

    @Override
    public String status() {
        return qmp.execute("query-status", QMP_TIMEOUT).path("status").asText();
    }

    @Override
    public void stop() {
        qmp.execute("stop", QMP_TIMEOUT);
    }

    @Override
    public void cont() {
        qmp.execute("cont", QMP_TIMEOUT);
    }

    /**
     * Loads a saved state into a VM started with {@code incoming}; it ends paused. A state without
     * RAM was saved with the capability x-ignore-shared, which must match (it changes the stream format).
     */
    @Override
    public void restore(String stateFile, boolean withRam, Duration timeout) {
        setIgnoreShared(!withRam);
        qmp.execute("migrate-incoming", Map.of("uri", "exec:cat " + stateFile), QMP_TIMEOUT);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String status = status();
            if (!status.equals("inmigrate")) {
                if (!status.equals("paused") && !status.equals("prelaunch")) {
                    throw new VmmException(name + ": restore of " + stateFile + " ended in state " + status);
                }
                return;
            }
            if (System.nanoTime() > deadline) throw new VmmException(name + ": restore took longer than " + timeout);
            sleepNanos(POLL_NANOS);
        }
    }

    /**
     * Writes the VM's device state (and its RAM when {@code withRam}; without it, RAM must live in a
     * shared file: x-ignore-shared) to {@code stateFile}. The VM should be stopped first; the caller
     * makes the file durable.
     */
    @Override
    public void save(String stateFile, boolean withRam, Duration timeout) {
        setIgnoreShared(!withRam);
        qmp.execute("migrate-set-parameters", Map.of("max-bandwidth", Long.MAX_VALUE / 2), QMP_TIMEOUT);
        qmp.execute("migrate", Map.of("uri", "exec:cat > " + stateFile), QMP_TIMEOUT);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode st = qmp.execute("query-migrate", QMP_TIMEOUT);
            String status = st.path("status").asText();
            if (status.equals("completed")) return;
            if (status.equals("failed") || status.equals("cancelled")) {
                String why = name + ": saving state failed: " + st.path("error-desc").asText(status);
                // the state goes through `cat`, whose ENOSPC QEMU reports as a bare "failed": the file system tells
                if (noRoomFor(dir.resolve(stateFile))) throw new DiskFullException(why + " (no room left on the disk)");
                throw new VmmException(why);
            }
            if (System.nanoTime() > deadline) {
                qmp.execute("migrate_cancel", QMP_TIMEOUT);
                throw new VmmException(name + ": saving state took longer than " + timeout);
            }
            sleepNanos(POLL_NANOS);
        }
    }

    /** Less than {@link #ROOM} is left on the file system of {@code file}. */
    private static boolean noRoomFor(Path file) {
        try {
            return Files.getFileStore(file.getParent()).getUsableSpace() < ROOM;
        } catch (IOException e) {
            return false;
        }
    }

    /** Switches the VM's disk to a new, existing qcow2 overlay whose backing file is the current top. */
    @Override
    public void switchDisk(String newTop) {
        qmp.execute("blockdev-snapshot-sync", Map.of("device", "disk0", "snapshot-file", newTop,
                "format", "qcow2", "mode", "existing"), QMP_TIMEOUT);
    }

    /** Asks QEMU to exit and waits for it; kills it when it does not go in time. */
    @Override
    public void quit(Duration timeout) {
        exitExpected = true;
        try {
            qmp.execute("quit", timeout);
        } catch (QmpException e) {
            // QEMU may close the socket before it answers "quit"; the wait below tells the truth
        }
        if (!awaitExit(timeout)) kill();
        qmp.close();
    }

    /** Ends the VM at once (SIGKILL) and waits until the process is gone. */
    @Override
    public void kill() {
        exitExpected = true;
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        awaitExit(Duration.ofSeconds(10));
        qmp.close();
    }

    /** Completes when QEMU is gone (its QMP connection closed). */
    @Override
    public CompletableFuture<Void> exited() {
        return qmp.closedFuture();
    }

    @Override
    public boolean exitExpected() {
        return exitExpected;
    }

    public boolean isAlive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Resident memory of the VMM process, in KiB (0 when gone). */
    @Override
    public long rssKib() {
        return ProcStatus.read(pid).rssKib();
    }

    /** Why the VM ended, from QEMU's own log and the guest console. */
    @Override
    public String exitReport() {
        String vmm = tail(dir.resolve(VmSpec.VMM_LOG), 600).strip();
        String console = tail(dir.resolve(VmSpec.CONSOLE_LOG), 600).strip();
        return (vmm.isEmpty() ? "" : "vmm: " + vmm + " ") + (console.isEmpty() ? "" : "console: " + console);
    }

    @Override
    public void close() {
        qmp.close();
    }

    private boolean awaitExit(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isAlive()) {
            if (System.nanoTime() > deadline) return false;
            sleepNanos(POLL_NANOS);
        }
        return true;
    }

    private void setIgnoreShared(boolean on) {
        setCapability("x-ignore-shared", on);
    }

    private void setCapability(String capability, boolean on) {
        qmp.execute("migrate-set-capabilities",
                Map.of("capabilities", List.of(Map.of("capability", capability, "state", on))), QMP_TIMEOUT);
    }

    static String tail(Path file, int maxChars) {
        try {
            if (!Files.exists(file)) return "";
            long size = Files.size(file);
            try (var ch = java.nio.channels.FileChannel.open(file)) {
                int n = (int) Math.min(size, maxChars);
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(n);
                ch.read(buf, size - n);
                return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            return "";
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted");
        }
    }
}
