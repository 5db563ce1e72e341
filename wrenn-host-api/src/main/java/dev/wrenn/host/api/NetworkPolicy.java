package dev.wrenn.host.api;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * What a capsule may reach (docs/network.md). {@code denyOut} wins over {@code allowOut}; without
 * {@code allowInternet} only {@code allowOut} is reachable. The host's own addresses, other
 * capsules, link-local and metadata addresses are never reachable; the host's private networks
 * only when an {@code allowOut} CIDR names them.
 */
public record NetworkPolicy(boolean allowInternet, List<NetworkTarget> allowOut, List<NetworkTarget> denyOut) {
    /** Entries per list: rules and DNS matching stay cheap. */
    public static final int MAX_ENTRIES = 256;

    public static final NetworkPolicy DEFAULT = new NetworkPolicy(true, List.of(), List.of());

    public NetworkPolicy {
        allowOut = distinct(allowOut, "allow_out");
        denyOut = distinct(denyOut, "deny_out");
    }

    /**
     * From the API's strings.
     *
     * @throws IllegalArgumentException naming the first entry that is not a CIDR or a domain name
     */
    public static NetworkPolicy of(boolean allowInternet, List<String> allowOut, List<String> denyOut) {
        return new NetworkPolicy(allowInternet, parseAll(allowOut, "allow_out"), parseAll(denyOut, "deny_out"));
    }

    public List<String> allowOutText() {
        return allowOut.stream().map(NetworkTarget::text).toList();
    }

    public List<String> denyOutText() {
        return denyOut.stream().map(NetworkTarget::text).toList();
    }

    /** True when DNS names decide something: the resolver then watches the capsule's lookups. */
    public boolean hasDomains() {
        return allowOut.stream().anyMatch(t -> t instanceof NetworkTarget.Domain)
                || denyOut.stream().anyMatch(t -> t instanceof NetworkTarget.Domain);
    }

    private static List<NetworkTarget> parseAll(List<String> entries, String field) {
        if (entries == null) return List.of();
        checkSize(entries.size(), field);
        return entries.stream().map(e -> {
            try {
                return NetworkTarget.parse(e);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(field + ": " + ex.getMessage(), ex);
            }
        }).toList();
    }

    private static List<NetworkTarget> distinct(List<NetworkTarget> targets, String field) {
        Objects.requireNonNull(targets, field);
        checkSize(targets.size(), field);
        return List.copyOf(new LinkedHashSet<>(targets));
    }

    private static void checkSize(int size, String field) {
        if (size > MAX_ENTRIES) {
            throw new IllegalArgumentException(field + " has " + size + " entries; at most " + MAX_ENTRIES);
        }
    }
}
