package dev.wrenn.host.api;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One entry of a capsule's {@code allow_out} or {@code deny_out}: an IPv4 range, or a DNS name
 * (exact, or {@code *.example.com} for every name below it). Capsules have IPv4 only.
 */
public sealed interface NetworkTarget {

    /** The entry as the user wrote it, normalized (lower case, a bare address as /32). */
    String text();

    /** {@code address/prefix}, address with the host bits cleared. */
    record Cidr(int address, int prefix) implements NetworkTarget {
        public Cidr {
            if (prefix < 0 || prefix > 32) throw new IllegalArgumentException("prefix " + prefix + " is not within 0..32");
            address &= mask(prefix);
        }

        public boolean contains(int ip) {
            return (ip & mask(prefix)) == address;
        }

        @Override
        public String text() {
            return Ipv4.text(address) + "/" + prefix;
        }

        private static int mask(int prefix) {
            return prefix == 0 ? 0 : -1 << (32 - prefix);
        }
    }

    /** A DNS name; {@code wildcard} matches the names below {@code name}, not {@code name} itself. */
    record Domain(String name, boolean wildcard) implements NetworkTarget {
        public boolean matches(String queried) {
            String q = queried.toLowerCase(Locale.ROOT);
            if (q.endsWith(".")) q = q.substring(0, q.length() - 1);
            return wildcard ? q.endsWith("." + name) : q.equals(name);
        }

        @Override
        public String text() {
            return wildcard ? "*." + name : name;
        }
    }

    int MAX_DOMAIN_LENGTH = 253;
    Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    /**
     * Parses {@code 10.0.0.0/8}, {@code 203.0.113.7}, {@code example.com} or {@code *.example.com}.
     *
     * @throws IllegalArgumentException naming the entry when it is none of these
     */
    static NetworkTarget parse(String entry) {
        if (entry == null || entry.isBlank()) throw new IllegalArgumentException("an empty network entry");
        String e = entry.trim().toLowerCase(Locale.ROOT);
        if (e.contains(":")) {
            throw new IllegalArgumentException("'" + entry + "' is IPv6; capsules have IPv4 only");
        }
        int slash = e.indexOf('/');
        String head = slash < 0 ? e : e.substring(0, slash);
        if (Ipv4.looksNumeric(head)) {
            Integer ip = Ipv4.parse(head);
            if (ip == null) throw new IllegalArgumentException("'" + entry + "' is not an IPv4 address or CIDR");
            int prefix = 32;
            if (slash >= 0) {
                String p = e.substring(slash + 1);
                if (!p.matches("\\d{1,2}") || Integer.parseInt(p) > 32) {
                    throw new IllegalArgumentException("'" + entry + "' has a prefix length that is not 0..32");
                }
                prefix = Integer.parseInt(p);
            }
            return new Cidr(ip, prefix);
        }
        if (slash >= 0) throw new IllegalArgumentException("'" + entry + "' is not an IPv4 CIDR or a domain name");
        boolean wildcard = e.startsWith("*.");
        String name = wildcard ? e.substring(2) : e;
        if (name.endsWith(".")) name = name.substring(0, name.length() - 1);
        if (name.length() > MAX_DOMAIN_LENGTH) {
            throw new IllegalArgumentException("'" + entry + "' is longer than " + MAX_DOMAIN_LENGTH + " characters");
        }
        for (String label : name.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("'" + entry + "' is not a domain name (label '" + label + "')");
            }
        }
        return new Domain(name, wildcard);
    }
}
