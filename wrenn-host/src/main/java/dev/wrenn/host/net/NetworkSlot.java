package dev.wrenn.host.net;

import dev.wrenn.host.api.NetworkPolicy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.util.List;

/**
 * One capsule's network: a namespace of its own holding the TAP its VM is plugged into, joined to
 * the host by a veth pair, its rules, and its resolver. Set up ahead in a pool, held by a running
 * capsule (or a warm clone), torn down when the VM ends: a paused capsule holds none.
 */
public final class NetworkSlot implements SlotResolver.Owner {
    /** Tracked connections per capsule: a guest that opens more cannot exhaust the host's table. */
    public static final int MAX_CONNECTIONS = 4096;

    private final SlotAddresses addresses;
    private final FileLock lock;
    private SlotResolver resolver;
    private volatile NetworkPolicy policy;
    private volatile String capsule;

    NetworkSlot(SlotAddresses addresses, FileLock lock, NetworkPolicy policy) {
        this.addresses = addresses;
        this.lock = lock;
        this.policy = policy;
        this.capsule = addresses.namespace();
    }

    void startResolver(List<Integer> upstreams) throws IOException {
        resolver = new SlotResolver(addresses, upstreams, this);
    }

    public int index() {
        return addresses.index();
    }

    /** The namespace QEMU is started in. */
    public Path netns() {
        return addresses.namespacePath();
    }

    /** Where the host connects to reach {@code port} in the guest: the namespace forwards it there. */
    public InetSocketAddress port(int port) {
        return new InetSocketAddress(addresses.nsIpText(), port);
    }

    /** Names the capsule in this slot's logs. */
    public void assign(String capsuleId) {
        this.capsule = capsuleId;
    }

    /** Puts {@code next} in force at once: one nft transaction in the namespace. */
    public synchronized void apply(NetworkPolicy next) throws IOException {
        if (next.equals(policy)) return;
        NetTools.nftIn(netns(), NamespaceRules.policy(next));
        policy = next;
    }

    @Override
    public NetworkPolicy policy() {
        return policy;
    }

    @Override
    public String capsule() {
        return capsule;
    }

    @Override
    public synchronized void allowResolved(List<Integer> ips, int seconds) throws IOException {
        NetTools.nftIn(netns(), NamespaceRules.allowResolved(ips, seconds));
    }

    SlotAddresses addresses() {
        return addresses;
    }

    /**
     * Stops answering DNS and lets the slot number go, leaving the namespace to the VM that runs on
     * in it: the next host agent takes it over. (A slot being torn down is deleted first.)
     */
    public void closeHandles() {
        if (resolver != null) resolver.close();
        SlotLocks.release(lock);
    }
}
