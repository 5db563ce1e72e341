package dev.wrenn.host.net;

import dev.wrenn.host.api.Ipv4;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.NetworkTarget;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DNS resolver one capsule sees (its gateway's port 53, translated to the slot's host-side
 * address): it relays questions to the host's resolvers and applies the domain half of the
 * capsule's policy. A denied name, or with {@code allow_internet} off a name {@code allow_out} does
 * not name, gets NXDOMAIN without leaving the host (no lookups as a way out); the addresses an
 * allowed name resolves to are let through before the answer reaches the guest.
 */
final class SlotResolver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SlotResolver.class);
    private static final int MAX_MESSAGE = 4096;
    /** Questions of one capsule in flight at once; more are dropped (the guest retries). */
    private static final int MAX_IN_FLIGHT = 32;
    private static final int UPSTREAM_TIMEOUT_MS = 2000;
    /** How long an allowed name's addresses stay reachable: at least this, or the record's TTL. */
    static final int MIN_ALLOW_SECONDS = 300;
    private static final int MAX_ALLOW_SECONDS = 86_400;

    /** What the resolver needs of its slot. */
    interface Owner {
        NetworkPolicy policy();

        String capsule();

        void allowResolved(List<Integer> addresses, int seconds) throws IOException;
    }

    private final DatagramChannel channel;
    private final List<Integer> upstreams;
    private final Owner owner;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);

    SlotResolver(SlotAddresses addresses, List<Integer> upstreams, Owner owner) throws IOException {
        this.upstreams = upstreams;
        this.owner = owner;
        this.channel = DatagramChannel.open();
        try {
            channel.bind(new InetSocketAddress(InetAddress.getByName(addresses.hostIpText()), NamespaceRules.DNS_PORT));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        Thread.ofVirtual().name("dns-" + addresses.namespace()).start(this::serve);
    }

    private void serve() {
        ByteBuffer buf = ByteBuffer.allocate(MAX_MESSAGE);
        while (channel.isOpen()) {
            try {
                buf.clear();
                SocketAddress from = channel.receive(buf);
                byte[] query = Arrays.copyOf(buf.array(), buf.position());
                if (query.length < DnsMessage.HEADER || !inFlight.tryAcquire()) continue;
                Thread.ofVirtual().start(() -> {
                    try {
                        byte[] answer = answer(query);
                        if (answer != null) channel.send(ByteBuffer.wrap(answer), from);
                    } catch (IOException e) {
                        log.atDebug().addKeyValue("capsule", owner.capsule()).log("DNS answer not sent: {}", e.getMessage());
                    } finally {
                        inFlight.release();
                    }
                });
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                log.atDebug().addKeyValue("capsule", owner.capsule()).log("DNS receive failed: {}", e.getMessage());
            }
        }
    }

    /** The answer for the guest, or null to stay silent (no resolver answered). */
    byte[] answer(byte[] query) throws IOException {
        NetworkPolicy policy = owner.policy();
        if (policy.allowInternet() && !policy.hasDomains()) return forward(query);
        Optional<String> name = DnsMessage.question(query, query.length);
        if (name.isEmpty()) return DnsMessage.refusal(query, query.length, DnsMessage.RCODE_SERVFAIL);
        boolean denied = matches(policy.denyOut(), name.get());
        boolean allowed = matches(policy.allowOut(), name.get());
        if (denied || !allowed && !policy.allowInternet()) {
            log.atDebug().addKeyValue("capsule", owner.capsule()).addKeyValue("name", name.get()).log("DNS name refused by policy");
            return DnsMessage.refusal(query, query.length, DnsMessage.RCODE_NXDOMAIN);
        }
        byte[] answer = forward(query);
        if (answer != null && allowed) {
            List<DnsMessage.Address> found = DnsMessage.addresses(answer, answer.length);
            if (!found.isEmpty()) {
                int ttl = found.stream().mapToInt(DnsMessage.Address::ttl).max().orElse(0);
                owner.allowResolved(found.stream().map(DnsMessage.Address::ip).distinct().toList(),
                        Math.min(Math.max(ttl, MIN_ALLOW_SECONDS), MAX_ALLOW_SECONDS));
            }
        }
        return answer;
    }

    private static boolean matches(List<NetworkTarget> targets, String name) {
        return targets.stream().anyMatch(t -> t instanceof NetworkTarget.Domain d && d.matches(name));
    }

    /** Asks the host's resolvers in turn; the first answer to this question, or null. */
    private byte[] forward(byte[] query) throws IOException {
        for (int upstream : upstreams) {
            try (DatagramSocket s = new DatagramSocket()) {
                s.setSoTimeout(UPSTREAM_TIMEOUT_MS);
                s.connect(InetAddress.getByName(Ipv4.text(upstream)), NamespaceRules.DNS_PORT);
                s.send(new DatagramPacket(query, query.length));
                DatagramPacket reply = new DatagramPacket(new byte[MAX_MESSAGE], MAX_MESSAGE);
                long deadline = System.nanoTime() + UPSTREAM_TIMEOUT_MS * 1_000_000L;
                while (System.nanoTime() < deadline) {
                    s.receive(reply);
                    byte[] answer = Arrays.copyOf(reply.getData(), reply.getLength());
                    if (answer.length >= DnsMessage.HEADER && DnsMessage.id(answer) == DnsMessage.id(query)) return answer;
                }
            } catch (SocketTimeoutException e) {
                // the next resolver
            }
        }
        return upstreams.isEmpty() ? DnsMessage.refusal(query, query.length, DnsMessage.RCODE_SERVFAIL) : null;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing holds it any more
        }
    }
}
