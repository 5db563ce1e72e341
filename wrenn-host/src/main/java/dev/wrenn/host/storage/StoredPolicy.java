package dev.wrenn.host.storage;

import dev.wrenn.host.api.NetworkPolicy;
import java.util.List;

/** A capsule's network policy as its record keeps it: the entries as text, parsed again on load. */
public record StoredPolicy(boolean allowInternet, List<String> allowOut, List<String> denyOut) {
    public static StoredPolicy of(NetworkPolicy p) {
        return new StoredPolicy(p.allowInternet(), p.allowOutText(), p.denyOutText());
    }

    /** The policy; a record from before policies were kept (null) has the default one. */
    public static NetworkPolicy policy(StoredPolicy stored) {
        return stored == null ? NetworkPolicy.DEFAULT
                : NetworkPolicy.of(stored.allowInternet, stored.allowOut, stored.denyOut);
    }
}
