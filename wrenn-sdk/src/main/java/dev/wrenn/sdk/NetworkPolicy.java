package dev.wrenn.sdk;

import java.util.List;

/**
 * What a capsule may reach on the network (api.md §8). {@code denyOut} wins over {@code allowOut};
 * without {@code allowInternet} only {@code allowOut} is reachable. Entries are IPv4 addresses or
 * CIDRs ({@code 10.0.0.0/8}) or DNS names ({@code pypi.org}, {@code *.example.com}); the server
 * checks them and names a bad one, and shows them normalized ({@code 10.0.0.7} as {@code 10.0.0.7/32}).
 *
 * <pre>{@code
 * new NetworkPolicy(false, List.of("pypi.org", "files.pythonhosted.org"), List.of())   // only these
 * }</pre>
 *
 * @param allowInternet whether the internet is reachable beyond {@code allowOut}
 * @param allowOut addresses and names reachable even without the internet (and private networks named here)
 * @param denyOut addresses and names never reachable
 */
public record NetworkPolicy(boolean allowInternet, List<String> allowOut, List<String> denyOut) {
    /** Copies the lists, so the record stays immutable; null is empty. */
    public NetworkPolicy {
        allowOut = allowOut == null ? List.of() : List.copyOf(allowOut);
        denyOut = denyOut == null ? List.of() : List.copyOf(denyOut);
    }

    /** {@return the default: the internet, nothing denied} */
    public static NetworkPolicy defaults() {
        return new NetworkPolicy(true, List.of(), List.of());
    }
}
