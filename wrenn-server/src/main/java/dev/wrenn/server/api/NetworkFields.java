package dev.wrenn.server.api;

import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.server.capsule.CapsuleNetwork;
import dev.wrenn.server.capsule.PortAccess;
import dev.wrenn.server.error.ApiException;
import java.util.List;

/** The network fields of create and of {@code PUT …/network} (api.md §8, §9), validated naming the offending value. */
final class NetworkFields {
    private NetworkFields() {}

    /** {@code network}, {@code port_access} and {@code auto_resume} of a create, with their defaults. */
    static CapsuleNetwork forCreate(Body body) {
        NetworkPolicy policy = body.object("network").map(NetworkFields::policy).orElse(NetworkPolicy.DEFAULT);
        PortAccess access = body.string("port_access").map(a -> {
            try {
                return PortAccess.fromWire(a);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(body.name("port_access") + ": '" + Params.abbreviate(a) + "' is not one of public, token");
            }
        }).orElse(PortAccess.PUBLIC);
        return CapsuleNetwork.of(policy, access, body.bool("auto_resume").orElse(false));
    }

    /**
     * A whole policy: {@code allow_internet} (default true), {@code allow_out} and {@code deny_out}
     * (default empty). A field left out takes its default, it does not keep a previous value.
     */
    static NetworkPolicy policy(Body network) {
        boolean internet = network.bool("allow_internet").orElse(true);
        List<String> allow = network.stringList("allow_out", NetworkPolicy.MAX_ENTRIES).orElse(List.of());
        List<String> deny = network.stringList("deny_out", NetworkPolicy.MAX_ENTRIES).orElse(List.of());
        try {
            return NetworkPolicy.of(internet, allow, deny);
        } catch (IllegalArgumentException e) {
            // the policy's message starts with the list's name: "allow_out: '10.0.0.0/33' has a prefix length ..."
            throw ApiException.invalid(network.name(e.getMessage()));
        }
    }
}
