package dev.wrenn.server.hosts;

import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.grpc.AgentCertificate;
import dev.wrenn.host.grpc.RemoteHost;
import dev.wrenn.server.error.ApiException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every host this control plane can act on: its embedded host agent (the default; none for a
 * control plane of remote hosts only) and the host agents registered from other machines, called
 * over gRPC. A capsule's record names its host; {@link #of} is the one way to it, and a host that
 * cannot be reached now answers 503 {@code host_unavailable} rather than an error about its capsule.
 */
public final class Hosts implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Hosts.class);

    /** A remote host as connected: a new registration (address, certificate or key) means a new connection. */
    private record Connection(RemoteHost host, String address, String certificatePem, String callKey) {
        boolean serves(RegisteredHost h) {
            return address.equals(h.address()) && certificatePem.equals(h.certificatePem()) && callKey.equals(h.callKey());
        }
    }

    private final String localId;
    private final Host local;
    private final HostRegistry registry;
    private final Map<String, Connection> remote = new ConcurrentHashMap<>();
    private final List<Consumer<CapsuleState>> exitListeners = new CopyOnWriteArrayList<>();
    private volatile Set<String> builtInTemplates;
    /** The registered hosts as last read: every API call asks for its capsule's host, the database is asked at most this often. */
    private volatile Registered registered = new Registered(List.of(), System.nanoTime() - 2 * FRESH_NANOS);

    private record Registered(List<RegisteredHost> hosts, long readAtNanos) {
        Optional<RegisteredHost> find(String id) {
            return hosts.stream().filter(h -> h.id().equals(id)).findFirst();
        }

        /** Registered and not marked unreachable. */
        boolean usable(String id) {
            return find(id).filter(h -> h.registeredAt() != null && h.unreachableAt() == null).isPresent();
        }
    }

    private static final long FRESH_NANOS = 500_000_000L;

    /** @param local the embedded host agent, or null for a control plane of remote hosts only */
    public Hosts(String localId, Host local, HostRegistry registry) {
        this.localId = localId;
        this.local = local;
        this.registry = registry;
        if (local != null) local.onVmExit(this::vmExited);
    }

    /** The embedded host's id, if this control plane has one. */
    public Optional<String> localId() {
        return Optional.ofNullable(local == null ? null : localId);
    }

    /** The embedded host; empty for a control plane of remote hosts only. */
    public Optional<Host> local() {
        return Optional.ofNullable(local);
    }

    /**
     * The host a capsule of {@code hostId} lives on.
     *
     * @throws ApiException 503 host_unavailable when the host is unreachable, not registered (yet
     *                      or any more), or another control plane's embedded host
     */
    public Host of(String hostId) {
        if (local != null && localId.equals(hostId)) return local;
        Registered known = registered(false);
        if (!known.usable(hostId)) known = registered(true);   // a host that just registered or came back
        RegisteredHost h = known.find(hostId).orElseThrow(() -> ApiException.hostUnavailable("host " + hostId
                + " is not reachable from this control plane (it is not a registered host agent; the embedded host"
                + " of another control plane is reached through that control plane)", null));
        if (h.registeredAt() == null) {
            throw ApiException.hostUnavailable("host " + h.name() + " has not registered yet", null);
        }
        if (h.unreachableAt() != null) {
            throw ApiException.hostUnavailable("host " + h.name() + " is unreachable (its agent has not been heard from"
                    + " since " + Instant.ofEpochMilli(h.lastSeenAt()) + "); its capsules come back with it", null);
        }
        return connection(h).host();
    }

    /** The registered hosts marked unreachable now. */
    public Set<String> lost() {
        Set<String> ids = new HashSet<>();
        for (RegisteredHost h : registered(false).hosts()) {
            if (h.unreachableAt() != null) ids.add(h.id());
        }
        return ids;
    }

    /** Whether {@code hostId} is this control plane's embedded host. */
    public boolean isLocal(String hostId) {
        return local != null && localId.equals(hostId);
    }

    /** The ids of every host this control plane can act on now: the embedded one and the reachable registered ones. */
    public List<String> reachable() {
        List<String> ids = new ArrayList<>();
        if (local != null) ids.add(localId);
        ids.addAll(reachableRegistered(false, h -> true));
        return ids;
    }

    /**
     * The names of the templates every host has, from the embedded host or else the first registered
     * one that answers (the same on every host of a version).
     *
     * @throws ApiException 503 host_unavailable when no host can be asked
     */
    public Set<String> builtInTemplates() {
        Set<String> known = builtInTemplates;
        if (known != null) return known;
        Host h = any().orElseThrow(() -> ApiException.hostUnavailable("no host is reachable to tell its templates", null));
        known = Set.copyOf(h.builtInTemplates());
        builtInTemplates = known;
        return known;
    }

    /** A host to ask what every host has (the built-in templates): the embedded one, else a reachable one. */
    public Optional<Host> any() {
        if (local != null) return Optional.of(local);
        for (String id : reachable()) {
            try {
                return Optional.of(of(id));
            } catch (ApiException unreachable) {
                // marked unreachable since the list was read
            }
        }
        return Optional.empty();
    }

    /** The reachable registered hosts being drained: their running capsules are paused. */
    public List<String> draining() {
        return reachableRegistered(false, RegisteredHost::draining);
    }

    /** The reachable registered hosts whose drain also moves their paused capsules away. */
    public List<String> movingOut() {
        return reachableRegistered(false, h -> h.drain() == RegisteredHost.Drain.MOVE);
    }

    /** Whether {@code hostId} is a registered host being drained (read fresh: an operator just undid it, perhaps). */
    public boolean isDraining(String hostId) {
        return registered(true).find(hostId).map(RegisteredHost::draining).orElse(false);
    }

    /** Hosts new capsules may go to: the reachable ones that are not draining, the embedded one first. */
    public List<String> placeable() {
        List<String> ids = new ArrayList<>();
        if (local != null) ids.add(localId);
        ids.addAll(reachableRegistered(true, h -> !h.draining()));
        return ids;
    }

    /** The ids of the registered hosts that registered, are not unreachable and are {@code wanted}; {@code fresh}: read now. */
    private List<String> reachableRegistered(boolean fresh, Predicate<RegisteredHost> wanted) {
        return registered(fresh).hosts().stream()
                .filter(h -> h.registeredAt() != null && h.unreachableAt() == null && wanted.test(h))
                .map(RegisteredHost::id).toList();
    }

    /**
     * What {@code hostId} last said of its capacity: the embedded host now, a remote host at its last
     * heartbeat (seconds old; admission asks the host itself). Empty when the host cannot be reached.
     */
    public Optional<HostCapacity> lastCapacity(String hostId) {
        if (isLocal(hostId)) return Optional.of(local.capacity());
        return registered(false).find(hostId).filter(h -> h.registeredAt() != null && h.unreachableAt() == null)
                .map(RegisteredHost::capacity);
    }

    /** Called with the new state of a capsule whose VM ended on its own, on any host. */
    public void onVmExit(Consumer<CapsuleState> listener) {
        exitListeners.add(listener);
    }

    private void vmExited(CapsuleState state) {
        exitListeners.forEach(l -> l.accept(state));
    }

    /** The registered hosts, read again when older than half a second or when {@code fresh} is asked for. */
    private Registered registered(boolean fresh) {
        Registered r = registered;
        if (fresh || System.nanoTime() - r.readAtNanos() > FRESH_NANOS) {
            r = new Registered(registry.list(), System.nanoTime());
            registered = r;
        }
        return r;
    }

    private Connection connection(RegisteredHost h) {
        return remote.compute(h.id(), (id, existing) -> {
            if (existing != null && existing.serves(h)) return existing;
            if (existing != null) existing.host().close();
            RemoteHost host = RemoteHost.connect(h.name(), address(h), AgentCertificate.parse(h.certificatePem()), h.callKey());
            host.onVmExit(this::vmExited);
            log.atInfo().addKeyValue("host", h.id()).addKeyValue("name", h.name()).addKeyValue("address", h.address())
                    .log("connected to host agent");
            return new Connection(host, h.address(), h.certificatePem(), h.callKey());
        });
    }

    /**
     * An agent registered again (restarted, or back after an outage): the connection to it tries at
     * once, not after the back-off its failures built up (up to two minutes).
     */
    public void reconnect(String hostId) {
        Connection c = remote.get(hostId);
        if (c != null) c.host().reconnectNow();
    }

    private static InetSocketAddress address(RegisteredHost h) {
        int colon = h.address().lastIndexOf(':');
        String host = h.address().substring(0, colon).replaceAll("^\\[|]$", "");
        return new InetSocketAddress(host, Integer.parseInt(h.address().substring(colon + 1)));
    }

    /** Closes the connections to remote hosts (their capsules run on); the embedded host is its owner's to close. */
    @Override
    public void close() {
        remote.values().forEach(c -> c.host().close());
        remote.clear();
    }
}
