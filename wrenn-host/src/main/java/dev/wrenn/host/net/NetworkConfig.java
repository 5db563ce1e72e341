package dev.wrenn.host.net;

import dev.wrenn.host.api.Ipv4;
import dev.wrenn.host.api.NetworkTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How this host puts capsules on the network (docs/network.md).
 *
 * @param enabled   false: capsules' network cards are unplugged (no namespaces, no rules, no root needed for them)
 * @param range     the IPv4 range the host side of every capsule's namespace is numbered from, a /30 each
 * @param poolSize  namespaces kept set up ahead of creates and resumes
 * @param resolvers where the capsules' DNS questions go (the host's own resolvers)
 */
public record NetworkConfig(boolean enabled, NetworkTarget.Cidr range, int poolSize, List<Integer> resolvers) {
    public static final NetworkTarget.Cidr DEFAULT_RANGE = (NetworkTarget.Cidr) NetworkTarget.parse("10.200.0.0/16");

    public NetworkConfig {
        if (range.prefix() < 8 || range.prefix() > 24) {
            throw new IllegalArgumentException("network range " + range.text() + " must be a /8 to /24");
        }
        if (poolSize < 0 || poolSize > 64) throw new IllegalArgumentException("network pool size " + poolSize + " is not in 0..64");
        resolvers = List.copyOf(resolvers);
    }

    public static NetworkConfig off() {
        return new NetworkConfig(false, DEFAULT_RANGE, 0, List.of());
    }

    /** From WRENN_NETWORK (on|off), WRENN_NETWORK_RANGE, WRENN_NETWORK_POOL and /etc/resolv.conf. */
    public static NetworkConfig fromEnvironment() {
        String mode = env("WRENN_NETWORK", "on");
        if (!mode.equals("on") && !mode.equals("off")) {
            throw new IllegalArgumentException("WRENN_NETWORK is '" + mode + "'; it is on or off");
        }
        NetworkTarget range = NetworkTarget.parse(env("WRENN_NETWORK_RANGE", DEFAULT_RANGE.text()));
        if (!(range instanceof NetworkTarget.Cidr cidr)) {
            throw new IllegalArgumentException("WRENN_NETWORK_RANGE '" + range.text() + "' is not an IPv4 CIDR");
        }
        int pool = Integer.parseInt(env("WRENN_NETWORK_POOL", "2"));
        return new NetworkConfig(mode.equals("on"), cidr, pool, systemResolvers(Path.of("/etc/resolv.conf")));
    }

    /** The IPv4 {@code nameserver}s of a resolv.conf; none when it cannot be read. */
    static List<Integer> systemResolvers(Path resolvConf) {
        List<Integer> found = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(resolvConf)) {
                String[] words = line.trim().split("\\s+");
                if (words.length >= 2 && words[0].equals("nameserver")) {
                    Integer ip = Ipv4.parse(words[1]);
                    if (ip != null) found.add(ip);
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return found;
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }
}
