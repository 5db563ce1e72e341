package dev.wrenn.server.proxy;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The header fields that belong to one connection and are not forwarded (RFC 9110 §7.6.1): the
 * fixed ones, and every field the Connection header names.
 */
final class HopByHop {
    private static final Set<String> ALWAYS = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization");

    private final Set<String> names;

    private HopByHop(Set<String> names) {
        this.names = names;
    }

    /** @param connectionValues every value of the message's Connection header fields */
    static HopByHop of(List<String> connectionValues) {
        Set<String> named = new HashSet<>(ALWAYS);
        for (String v : connectionValues) {
            for (String token : v.split(",")) {
                if (!token.isBlank()) named.add(token.strip().toLowerCase(Locale.ROOT));
            }
        }
        return new HopByHop(named);
    }

    boolean contains(String fieldName) {
        return names.contains(fieldName.toLowerCase(Locale.ROOT));
    }

    /** Whether the Connection header named {@code token} ("close", "upgrade"). */
    static boolean names(List<String> connectionValues, String token) {
        for (String v : connectionValues) {
            for (String t : v.split(",")) {
                if (t.strip().equalsIgnoreCase(token)) return true;
            }
        }
        return false;
    }
}
