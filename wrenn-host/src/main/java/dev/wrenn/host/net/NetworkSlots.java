package dev.wrenn.host.net;

import dev.wrenn.host.api.NetworkPolicy;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's capsule networks: slots set up ahead (a create or resume takes a ready one and only
 * applies its policy), torn down in the background when their VM ends, found again after a
 * restart. Slot numbers are shared by every host agent on the machine (see {@link SlotLocks}).
 */
public final class NetworkSlots implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NetworkSlots.class);
    private static final Path STATE_DIR = Path.of("/run/wrenn/net");
    private static final String SYSCTLS = "net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1"
            + " net.ipv6.conf.default.disable_ipv6=1";

    private final NetworkConfig config;
    private final NamespaceRules rules;
    private final SlotLocks locks;
    private final Deque<NetworkSlot> ready = new ArrayDeque<>();
    private int nextIndex;
    private boolean filling;
    private boolean closed;

    private NetworkSlots(NetworkConfig config, NamespaceRules rules, SlotLocks locks) {
        this.config = config;
        this.rules = rules;
        this.locks = locks;
    }

    /** Sets up the host's side (forwarding, its table) and starts filling the pool; null when networking is off. */
    public static NetworkSlots start(NetworkConfig config) throws IOException {
        if (!config.enabled()) return null;
        HostFirewall.HostAddresses host = HostFirewall.install(Files.createDirectories(STATE_DIR));
        NetworkSlots slots = new NetworkSlots(config, new NamespaceRules(config.range(), host), new SlotLocks(STATE_DIR));
        if (config.resolvers().isEmpty()) log.atWarn().log("no IPv4 nameserver in /etc/resolv.conf: capsules get no DNS");
        slots.refill();
        return slots;
    }

    /** A slot for {@code capsule} with {@code policy} in force: a ready one when there is one, else set up now. */
    public NetworkSlot take(String capsule, NetworkPolicy policy) throws IOException {
        NetworkSlot slot;
        synchronized (this) {
            slot = ready.poll();
        }
        refill();
        if (slot == null) slot = create(policy);
        slot.assign(capsule);
        try {
            slot.apply(policy);
        } catch (IOException e) {
            release(slot);
            throw e;
        }
        return slot;
    }

    /** Tears a slot down in the background, once its VM is gone. */
    public void release(NetworkSlot slot) {
        if (slot == null) return;
        Thread.ofVirtual().name("net-release-" + slot.index()).start(() -> delete(slot));
    }

    /**
     * The slot a running capsule's VM was left in by an earlier host agent: its rules reloaded (the
     * host's addresses may have changed), its resolver answering again. Empty when it is gone.
     */
    public Optional<NetworkSlot> adopt(int index, String capsule, NetworkPolicy policy) {
        try {
            SlotAddresses a = SlotAddresses.of(config.range(), index);
            if (!Files.exists(a.namespacePath())) return Optional.empty();
            Optional<FileLock> lock = locks.tryLock(index);
            if (lock.isEmpty()) {
                log.atWarn().addKeyValue("capsule", capsule).log("network slot {} is held by another process", index);
                return Optional.empty();
            }
            NetworkSlot slot = new NetworkSlot(a, lock.get(), policy);
            slot.assign(capsule);
            try {
                NetTools.nftIn(a.namespacePath(), "table inet wrenn {}\ndelete table inet wrenn\n" + rules.table(a, policy));
                slot.startResolver(config.resolvers());
            } catch (IOException e) {
                slot.closeHandles();
                throw e;
            }
            return Optional.of(slot);
        } catch (IOException | RuntimeException e) {
            log.atWarn().addKeyValue("capsule", capsule).log("could not take over network slot {}: {}", index, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Deletes the namespaces no live process holds and no VM runs in: left by host agents that
     * died or by clones nobody took. Run once the capsules of this agent have been taken over.
     */
    public void removeStale() {
        Thread.ofVirtual().name("net-stale").start(() -> {
            try (Stream<Path> names = Files.list(Path.of("/run/netns"))) {
                java.util.Set<Long> inUse = NamespaceUsers.namespacesInUse();
                for (Path ns : names.toList()) {
                    String name = ns.getFileName().toString();
                    if (!name.matches(SlotAddresses.NS_PREFIX + "\\d{1,6}")) continue;
                    int index = Integer.parseInt(name.substring(SlotAddresses.NS_PREFIX.length()));
                    Optional<FileLock> lock = locks.tryLock(index);
                    if (lock.isEmpty()) continue;
                    try {
                        if (!inUse.contains(NamespaceUsers.inode(ns))) {
                            NetTools.ip("netns del " + name + "\n");
                            log.atInfo().addKeyValue("namespace", name).log("stale capsule network removed");
                        }
                    } finally {
                        SlotLocks.release(lock.get());
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.atWarn().log("stale capsule networks not removed: {}", e.getMessage());
            }
        });
    }

    @Override
    public void close() {
        List<NetworkSlot> idle;
        synchronized (this) {
            closed = true;
            idle = List.copyOf(ready);
            ready.clear();
        }
        idle.forEach(this::delete);
    }

    private synchronized void refill() {
        if (closed || filling || ready.size() >= config.poolSize()) return;
        filling = true;
        Thread.ofVirtual().name("net-pool").start(() -> {
            try {
                while (true) {
                    synchronized (this) {
                        if (closed || ready.size() >= config.poolSize()) return;
                    }
                    NetworkSlot slot = create(NetworkPolicy.DEFAULT);
                    synchronized (this) {
                        if (!closed) {
                            ready.add(slot);
                            continue;
                        }
                    }
                    delete(slot);
                    return;
                }
            } catch (IOException | RuntimeException e) {
                log.atWarn().log("capsule network not set up ahead: {}", e.getMessage());
            } finally {
                synchronized (this) {
                    filling = false;
                }
            }
        });
    }

    /** Sets a new slot up: namespace, veth pair, TAP, rules with {@code policy}, resolver. */
    private NetworkSlot create(NetworkPolicy policy) throws IOException {
        long t0 = System.nanoTime();
        NetworkSlot slot = allocate(policy);
        SlotAddresses a = slot.addresses();
        try {
            NetTools.ip("""
                    netns add %1$s
                    link add %2$s type veth peer name %3$s netns %1$s
                    addr add %4$s/30 dev %2$s
                    link set %2$s up
                    """.formatted(a.namespace(), a.hostInterface(), SlotAddresses.NS_IF, a.hostIpText()));
            NetTools.ipIn(a.namespace(), """
                    link set lo up
                    addr add %1$s/30 dev %2$s
                    link set %2$s up
                    route add default via %3$s
                    tuntap add dev %4$s mode tap
                    link set %4$s address %5$s
                    addr add %6$s/30 dev %4$s
                    link set %4$s up
                    """.formatted(a.nsIpText(), SlotAddresses.NS_IF, a.hostIpText(), dev.wrenn.host.vmm.NicBackend.Tap.DEVICE,
                    SlotAddresses.GATEWAY_MAC, dev.wrenn.host.api.Ipv4.text(SlotAddresses.GATEWAY)));
            NetTools.sysctlAndNftIn(a.namespacePath(), SYSCTLS, rules.table(a, policy));
            slot.startResolver(config.resolvers());
        } catch (IOException | RuntimeException e) {
            delete(slot);
            throw e;
        }
        log.atDebug().addKeyValue("namespace", a.namespace()).addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000)
                .log("capsule network set up");
        return slot;
    }

    /**
     * The lowest free slot number from a moving start: locked, with no namespace or host-side
     * interface left under its name (a namespace's interfaces go a moment after the namespace).
     */
    private NetworkSlot allocate(NetworkPolicy policy) throws IOException {
        int capacity = SlotAddresses.capacity(config.range());
        for (int tried = 0; tried < capacity; tried++) {
            int index;
            synchronized (this) {
                index = nextIndex;
                nextIndex = (nextIndex + 1) % capacity;
            }
            SlotAddresses a = SlotAddresses.of(config.range(), index);
            if (Files.exists(a.namespacePath()) || Files.exists(Path.of("/sys/class/net", a.hostInterface()))) continue;
            Optional<FileLock> lock = locks.tryLock(index);
            if (lock.isEmpty()) continue;
            if (Files.exists(a.namespacePath())) {   // created by another agent between the check and the lock
                SlotLocks.release(lock.get());
                continue;
            }
            return new NetworkSlot(a, lock.get(), policy);
        }
        throw new IOException("all " + capacity + " capsule network slots of " + config.range().text() + " are in use");
    }

    private void delete(NetworkSlot slot) {
        String ns = slot.addresses().namespace();
        try {
            if (Files.exists(slot.netns())) NetTools.ip("netns del " + ns + "\n");
        } catch (IOException e) {
            log.atWarn().addKeyValue("namespace", ns).log("capsule network not deleted: {}", e.getMessage());
        } finally {
            slot.closeHandles();
        }
    }
}
