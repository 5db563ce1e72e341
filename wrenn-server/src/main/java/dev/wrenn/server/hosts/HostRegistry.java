package dev.wrenn.server.hosts;

import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.grpc.AgentCertificate;
import dev.wrenn.host.grpc.HostCredential;
import dev.wrenn.server.Clock;
import dev.wrenn.server.Ids;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.store.CapsuleStore;
import dev.wrenn.server.store.HostStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host agents on other machines: added by an operator (who is shown the host's token once),
 * registered and kept fresh by the agents themselves with that token. Each control plane reads
 * them from the database, so any of them can add, list or reach a host.
 */
public final class HostRegistry {
    private static final Logger log = LoggerFactory.getLogger(HostRegistry.class);
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9.-]{0,62}");

    /** A host just added, with its token: shown once, never stored. */
    public record NewHost(RegisteredHost host, String token) {}

    /** What an agent tells when it registers. */
    public record Registration(String address, int port, String certificatePem, String vmm, String accelerator,
                               HostCapacity capacity) {}

    private final HostStore hosts;
    private final CapsuleStore capsules;
    private volatile Consumer<RegisteredHost> onJoin = h -> { };

    public HostRegistry(HostStore hosts, CapsuleStore capsules) {
        this.hosts = hosts;
        this.capsules = capsules;
    }

    public NewHost add(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw ApiException.invalid("a host name is 1 to 63 lowercase letters, digits, dots and dashes, starting with a"
                    + " letter or digit; got '" + name + "'");
        }
        if (hosts.find(name).isPresent()) throw new ApiException(ErrorCode.CONFLICT, "a host named '" + name + "' exists");
        String token = HostCredential.newToken();
        String id = Ids.HOST.next();
        hosts.insert(id, name, HostCredential.tokenHash(token), HostCredential.callKey(token), Clock.millis());
        log.atInfo().addKeyValue("host", id).addKeyValue("name", name).log("host added");
        return new NewHost(find(id), token);
    }

    /** Called (on the request's thread) when an agent registers or is heard from again after it was unreachable. */
    public void onJoin(Consumer<RegisteredHost> listener) {
        this.onJoin = listener;
    }

    public List<RegisteredHost> list() {
        return hosts.list();
    }

    /** The host of this id or name, if registered. */
    public Optional<RegisteredHost> lookup(String idOrName) {
        return hosts.find(idOrName);
    }

    public RegisteredHost find(String idOrName) {
        return hosts.find(idOrName).orElseThrow(() -> ApiException.notFound("no host '" + idOrName + "'"));
    }

    /** Marks the hosts not heard from for longer than {@code silentAfter} unreachable (any control plane may; once is enough). */
    public void markSilent(Duration silentAfter) {
        long now = Clock.millis();
        long cutoff = now - silentAfter.toMillis();
        for (RegisteredHost h : hosts.silentSince(cutoff)) {
            if (hosts.markUnreachable(h.id(), cutoff, now)) {
                log.atWarn().addKeyValue("host", h.id()).addKeyValue("name", h.name())
                        .addKeyValue("silent_ms", now - h.lastSeenAt()).log("host unreachable");
            }
        }
    }

    /** Stops (or with {@link RegisteredHost.Drain#NONE} resumes) placing capsules on the host; a control plane empties it. */
    public RegisteredHost drain(String idOrName, RegisteredHost.Drain drain) {
        RegisteredHost h = find(idOrName);
        hosts.setDrain(h.id(), drain);
        log.atInfo().addKeyValue("host", h.id()).addKeyValue("drain", drain.name().toLowerCase(java.util.Locale.ROOT))
                .log(drain == RegisteredHost.Drain.NONE ? "host undrained" : "host draining");
        return find(h.id());
    }

    /** Forgets a host that holds no capsule; its token stops working. */
    public void remove(String idOrName) {
        RegisteredHost h = find(idOrName);
        int held = capsules.countOnHost(h.id());
        if (held > 0) {
            throw ApiException.invalidState("host " + h.name() + " still holds " + held + " capsule(s); drain it and destroy"
                    + " or move them first");
        }
        hosts.delete(h.id());
        log.atInfo().addKeyValue("host", h.id()).addKeyValue("name", h.name()).log("host removed");
    }

    /**
     * An agent's registration: where control planes reach it and the certificate to trust there.
     *
     * @param peerAddress the address the registration came from, used when the agent names none
     */
    public RegisteredHost register(String token, Registration r, String peerAddress) {
        RegisteredHost h = byToken(token);
        if (r.port() < 1 || r.port() > 65535) throw ApiException.invalid("port " + r.port() + " is not within 1..65535");
        if (r.certificatePem() == null) throw ApiException.invalid("the registration carries no certificate");
        X509Certificate certificate;
        try {
            certificate = AgentCertificate.parse(r.certificatePem());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("certificate: " + e.getMessage());
        }
        String host = r.address() == null || r.address().isBlank() ? peerAddress : r.address();
        String address = (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + r.port();
        hosts.register(h.id(), address, r.certificatePem(), r.vmm(), r.accelerator(), r.capacity(), Clock.millis());
        log.atInfo().addKeyValue("host", h.id()).addKeyValue("name", h.name()).addKeyValue("address", address)
                .addKeyValue("certificate_sha256", AgentCertificate.fingerprint(certificate))
                .log("host registered");
        RegisteredHost registered = find(h.id());
        onJoin.accept(registered);
        return registered;
    }

    /** An agent's heartbeat; returns its record (the agent learns whether it is draining). */
    public RegisteredHost heartbeat(String token, HostCapacity capacity) {
        RegisteredHost h = byToken(token);
        if (h.registeredAt() == null) throw ApiException.invalidState("host " + h.name() + " has not registered yet");
        hosts.heartbeat(h.id(), capacity, Clock.millis());
        RegisteredHost now = find(h.id());
        if (h.unreachableAt() != null) {
            log.atInfo().addKeyValue("host", h.id()).addKeyValue("name", h.name())
                    .addKeyValue("unreachable_ms", Clock.millis() - h.unreachableAt()).log("host reachable again");
            onJoin.accept(now);
        }
        return now;
    }

    private RegisteredHost byToken(String token) {
        String hash;
        try {
            hash = HostCredential.tokenHash(token);
        } catch (IllegalArgumentException e) {
            throw new ApiException(ErrorCode.UNAUTHORIZED, e.getMessage());
        }
        return hosts.findByTokenHash(hash).orElseThrow(() -> new ApiException(ErrorCode.UNAUTHORIZED,
                "no host has this token (it was removed, or the token is mistyped)"));
    }
}
