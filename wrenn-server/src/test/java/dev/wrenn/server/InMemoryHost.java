package dev.wrenn.server;

import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.host.api.ExitCause;
import dev.wrenn.host.api.FileEntry;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.HostInfo;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.api.PortStream;
import dev.wrenn.host.net.SocketPortStream;
import dev.wrenn.host.api.ProcessInfo;
import dev.wrenn.host.api.ProcessStream;
import dev.wrenn.host.api.FileSet;
import dev.wrenn.host.api.StoredFile;
import dev.wrenn.host.api.TemplateInfo;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A host that keeps its capsules in memory, for the control plane's lifecycle and recovery rules:
 * every outcome a real host can have (an operation that fails and rolls back, one that loses the
 * VM, a VM that dies, a restart that finds any state) can be set up exactly and checked in
 * milliseconds. The same rules run against real VMs in the API and crash tests.
 */
public final class InMemoryHost implements Host {
    /** The lifecycle operations a fault can be set up for. */
    public enum Op { CREATE, PAUSE, RESUME, SNAPSHOT }

    /** The next call of an operation fails with {@code error}, leaving the capsule in {@code leaves} (null = removed). */
    private record Fault(HostError error, Phase leaves) {}

    private final Map<String, CapsuleState> capsules = new ConcurrentHashMap<>();
    private final Map<String, TemplateInfo> templates = new ConcurrentHashMap<>();
    private final Map<Op, Fault> faults = new EnumMap<>(Op.class);
    private final List<Consumer<CapsuleState>> exitListeners = new CopyOnWriteArrayList<>();
    private final List<String> destroyed = new CopyOnWriteArrayList<>();
    private final List<String> created = new CopyOnWriteArrayList<>();
    private final AtomicInteger capacityReads = new AtomicInteger();
    private final List<String> resumed = new CopyOnWriteArrayList<>();
    private final List<ExecRequest> execs = new CopyOnWriteArrayList<>();
    private final Map<String, NetworkPolicy> policies = new ConcurrentHashMap<>();
    private final Map<String, InetSocketAddress> ports = new ConcurrentHashMap<>();
    private volatile CountDownLatch createGate = new CountDownLatch(0);
    public static final long VM_MEMORY_MB = 100;
    private volatile long memoryMb = 1 << 20;
    private volatile long diskFreeMb = 1 << 20;
    private volatile CountDownLatch resumeGate = new CountDownLatch(0);

    public InMemoryHost() {
        for (String name : builtInTemplates()) {
            templates.put(name, new TemplateInfo(name, true, 1, 512, 1 << 20, Instant.EPOCH, null));
        }
    }

    // ---- setting up what the host does ---------------------------------------------------------

    /** The next {@code op} fails with {@code error} and leaves the capsule {@code leaves} (null: gone). */
    public synchronized void failNext(Op op, HostError error, Phase leaves) {
        faults.put(op, new Fault(error, leaves));
    }

    /** Creates wait until the returned latch is counted down (a boot that takes its time). */
    public CountDownLatch holdCreates() {
        createGate = new CountDownLatch(1);
        return createGate;
    }

    /** Resumes wait until the returned latch is counted down (a restore that takes its time). */
    public CountDownLatch holdResumes() {
        resumeGate = new CountDownLatch(1);
        return resumeGate;
    }

    /** The capsule's VM dies on its own, as a crash or an OOM kill would end it. */
    public void crash(String id) {
        CapsuleState s = require(id);
        CapsuleState exited = with(s, Phase.EXITED, ExitCause.VM_EXITED, "killed by a test");
        capsules.put(id, exited);
        exitListeners.forEach(l -> l.accept(exited));
    }

    /** What a restarted host finds of a capsule: {@code phase}, or nothing at all (null). */
    public void setPhase(String id, Phase phase) {
        if (phase == null) {
            capsules.remove(id);
        } else {
            capsules.compute(id, (k, s) -> s == null ? new CapsuleState(id, "minimal", phase, 1, 512, null, null)
                    : with(s, phase, phase == Phase.EXITED ? ExitCause.HOST_LOST : null, null));
        }
    }

    /** A template on the host, as an interrupted snapshot would leave it. */
    public void addTemplate(String name) {
        templates.put(name, new TemplateInfo(name, false, 1, 512, 1 << 20, Instant.now(), null));
    }

    /** Every command the guests of this host were asked to run or start, in order. */
    public List<ExecRequest> execs() {
        return List.copyOf(execs);
    }

    /** The policy the capsule was last given (by create or setNetwork), or null. */
    public NetworkPolicy policy(String id) {
        return policies.get(id);
    }

    /** TCP {@code port} of the capsule is {@code backend} (a server of the test's) while the capsule runs. */
    public void mapPort(String id, int port, InetSocketAddress backend) {
        ports.put(id + ":" + port, backend);
    }

    /** The ids {@link #resume} was called with, in order. */
    public List<String> resumed() {
        return List.copyOf(resumed);
    }

    /** The ids {@link #destroy} was called with, in order. */
    public List<String> destroyed() {
        return List.copyOf(destroyed);
    }

    /** How many times the host's capacity was read. */
    public int capacityReads() {
        return capacityReads.get();
    }

    /** The capsules whose create has made a VM, in order. */
    public List<String> created() {
        return List.copyOf(created);
    }

    // ---- Host -----------------------------------------------------------------------------------

    @Override
    public HostInfo info() {
        return new HostInfo("in-memory", "none");
    }

    /** Memory is modelled: every running capsule holds {@link #VM_MEMORY_MB} of {@code memoryMb}, paused ones nothing. */
    @Override
    public HostCapacity capacity() {
        capacityReads.incrementAndGet();
        long running = capsules.values().stream().filter(c -> c.phase() == Phase.RUNNING).count();
        return new HostCapacity(2, memoryMb, Math.max(0, memoryMb - running * VM_MEMORY_MB), VM_MEMORY_MB, (int) running, 0,
                diskFreeMb);
    }

    /** The free space of the host's data disk from now on (a test makes it short). */
    public void diskFreeMb(long mb) {
        diskFreeMb = mb;
    }

    /** The host's memory from now on (a test makes it short). */
    public void memoryMb(long mb) {
        memoryMb = mb;
    }

    @Override
    public Set<String> builtInTemplates() {
        return new LinkedHashSet<>(List.of("minimal", "base-python"));
    }

    @Override
    public void prepareBuiltIn(String name) {
        if (!builtInTemplates().contains(name)) throw new HostException(HostError.NOT_FOUND, "no built-in template " + name);
    }

    @Override
    public List<TemplateInfo> templates() {
        return templates.values().stream().sorted(Comparator.comparing(TemplateInfo::createdAt).reversed()).toList();
    }

    @Override
    public Optional<TemplateInfo> template(String name) {
        return Optional.ofNullable(templates.get(name));
    }

    @Override
    public void deleteTemplate(String name) {
        TemplateInfo t = templates.get(name);
        if (t == null) throw new HostException(HostError.NOT_FOUND, "template " + name + " does not exist");
        if (t.builtIn()) throw new HostException(HostError.BUILT_IN, "template " + name + " is built in");
        templates.remove(name);
    }

    @Override
    public void setNetwork(String id, NetworkPolicy network) {
        CapsuleState s = require(id);
        if (s.phase() == Phase.EXITED) throw new HostException(HostError.INVALID_STATE, "capsule " + id + " has exited");
        policies.put(id, network);
    }

    /** A port mapped by {@link #mapPort}, while the capsule runs; no other port has a network here. */
    @Override
    public PortStream openPort(String id, int port, Duration connectTimeout) {
        CapsuleState s = require(id);
        if (s.phase() != Phase.RUNNING) throw new HostException(HostError.INVALID_STATE, "capsule " + id + " is not running");
        InetSocketAddress backend = ports.get(id + ":" + port);
        if (backend == null) throw new HostException(HostError.INVALID_STATE, "port " + port + " of " + id + " is not mapped");
        return SocketPortStream.connect(backend, connectTimeout);
    }

    @Override
    public List<StoredFile> files(FileSet set) {
        throw noFiles();
    }

    @Override
    public java.io.InputStream openFile(FileSet set, String file, long offset) {
        throw noFiles();
    }

    @Override
    public long heldBytes(StoredFile file) {
        return 0;
    }

    @Override
    public long receive(StoredFile file, long offset, java.io.InputStream data) {
        throw noFiles();
    }

    @Override
    public void install(FileSet set, List<StoredFile> files) {
        throw noFiles();
    }

    /** Templates and capsules are records here, without files to copy: copies between hosts are tested with real hosts. */
    private static HostException noFiles() {
        return new HostException(HostError.INVALID_STATE, "the in-memory host keeps no files to copy");
    }

    @Override
    public CapsuleState create(String id, String template, Integer vcpus, Integer memoryMb, NetworkPolicy network) {
        pass(createGate, "create");
        TemplateInfo t = templates.get(template);
        if (t == null) throw new HostException(HostError.NOT_FOUND, "template " + template + " does not exist");
        CapsuleState s = new CapsuleState(id, template, Phase.RUNNING, vcpus == null ? t.vcpus() : vcpus,
                memoryMb == null ? t.memoryMb() : memoryMb, null, null);
        capsules.put(id, s);
        policies.put(id, network);
        created.add(id);
        failIfAsked(Op.CREATE, id);
        return s;
    }

    @Override
    public CapsuleState pause(String id) {
        return move(Op.PAUSE, id, Phase.RUNNING, Phase.PAUSED);
    }

    @Override
    public CapsuleState resume(String id) {
        resumed.add(id);
        pass(resumeGate, "resume");
        return move(Op.RESUME, id, Phase.PAUSED, Phase.RUNNING);
    }

    private static void pass(CountDownLatch gate, String op) {
        try {
            if (!gate.await(30, TimeUnit.SECONDS)) throw new HostException(HostError.TIMEOUT, op + " held too long");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostException(HostError.HOST_FAILURE, "interrupted");
        }
    }

    private CapsuleState move(Op op, String id, Phase from, Phase to) {
        CapsuleState s = require(id);
        if (s.phase() != from) {
            throw new HostException(HostError.INVALID_STATE, "capsule " + id + " is " + s.phase().name().toLowerCase());
        }
        failIfAsked(op, id);
        CapsuleState next = with(s, to, null, null);
        capsules.put(id, next);
        return next;
    }

    @Override
    public void destroy(String id) {
        destroyed.add(id);
        capsules.remove(id);
    }

    @Override
    public TemplateInfo snapshot(String id, String templateName, boolean overwrite) {
        CapsuleState s = require(id);
        failIfAsked(Op.SNAPSHOT, id);
        if (templates.containsKey(templateName) && !overwrite) {
            throw new HostException(HostError.NAME_TAKEN, "a template named " + templateName + " already exists");
        }
        TemplateInfo t = new TemplateInfo(templateName, false, s.vcpus(), s.memoryMb(), 1 << 20, Instant.now(), id);
        templates.put(templateName, t);
        return t;
    }

    @Override
    public Optional<CapsuleState> capsule(String id) {
        return Optional.ofNullable(capsules.get(id));
    }

    @Override
    public List<CapsuleState> capsules() {
        return new ArrayList<>(capsules.values());
    }

    @Override
    public void onVmExit(Consumer<CapsuleState> listener) {
        exitListeners.add(listener);
    }

    @Override
    public Guest guest(String capsuleId) {
        CapsuleState s = require(capsuleId);
        if (s.phase() != Phase.RUNNING) throw new HostException(HostError.INVALID_STATE, "capsule " + capsuleId + " is not running");
        return new EchoGuest(execs);
    }

    /** Keeps the capsules: a later server over this host finds them as a restarted host agent would. */
    @Override
    public void close() {
    }

    // ---- internals ------------------------------------------------------------------------------

    private CapsuleState require(String id) {
        CapsuleState s = capsules.get(id);
        if (s == null) throw new HostException(HostError.NOT_FOUND, "capsule " + id + " does not exist");
        return s;
    }

    private void failIfAsked(Op op, String id) {
        Fault f;
        synchronized (this) {
            f = faults.remove(op);
        }
        if (f == null) return;
        if (f.leaves() == null) {
            capsules.remove(id);
        } else {
            capsules.computeIfPresent(id, (k, s) -> with(s, f.leaves(),
                    f.leaves() == Phase.EXITED ? ExitCause.HOST_LOST : null, null));
        }
        throw new HostException(f.error(), op.name().toLowerCase() + " of " + id + " failed (set up by a test)");
    }

    private static CapsuleState with(CapsuleState s, Phase phase, ExitCause cause, String detail) {
        return new CapsuleState(s.id(), s.template(), phase, s.vcpus(), s.memoryMb(), cause, detail);
    }

    /** A guest whose commands print their arguments: enough to see a request arrive; streams and files are real-VM tests. */
    private record EchoGuest(List<ExecRequest> execs) implements Guest {
        @Override
        public ExecResult run(ExecRequest request) {
            execs.add(request);
            byte[] out = (String.join(" ", request.argv()) + "\n").getBytes(StandardCharsets.UTF_8);
            return new ExecResult(0, 0, false, out, new byte[0], 1, false);
        }

        @Override
        public ProcessStream start(ExecRequest request) {
            throw notSimulated();
        }

        @Override
        public ProcessInfo startBackground(ExecRequest request) {
            execs.add(request);
            return new ProcessInfo(100, request.tag(), request.argv(), true, false);
        }

        @Override
        public ProcessStream attach(String pidOrTag, boolean replay) {
            throw notSimulated();
        }

        @Override
        public List<ProcessInfo> processes() {
            return List.of();
        }

        @Override
        public void signal(String pidOrTag, int signal) {
            throw notSimulated();
        }

        @Override
        public long writeFile(String path, InputStream data, int mode) {
            throw notSimulated();
        }

        @Override
        public long readFile(String path, OutputStream sink) {
            throw notSimulated();
        }

        @Override
        public List<FileEntry> list(String path, int depth) {
            throw notSimulated();
        }

        @Override
        public FileEntry mkdir(String path) {
            throw notSimulated();
        }

        @Override
        public void remove(String path) {
            throw notSimulated();
        }

        @Override
        public Duration ping() {
            return Duration.ZERO;
        }

        private static HostException notSimulated() {
            return new HostException(HostError.AGENT_FAILURE, "the in-memory host runs no processes and holds no files");
        }
    }
}
