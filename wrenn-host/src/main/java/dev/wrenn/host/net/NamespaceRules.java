package dev.wrenn.host.net;

import dev.wrenn.host.api.Ipv4;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.NetworkTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The nftables rules inside one capsule's namespace, where the capsule's traffic is decided
 * (docs/network.md). The guest's packets are checked in this order; the first match decides:
 * replies to allowed connections pass; anything not from the guest's own address is dropped
 * (spoofing); a TCP packet that starts no connection is answered with a reset (a connection from
 * before a pause); over {@link NetworkSlot#MAX_CONNECTIONS} tracked connections are refused; DNS to the
 * host's resolver passes; then {@code deny_out} → refused, never-reachable → refused, {@code allow_out}
 * (CIDRs, and addresses of allowed domains as they are resolved) → passes, private networks →
 * refused, and the rest as {@code allow_internet} says. Inbound, only the port proxy's connections
 * from the host, translated to the guest, pass.
 */
final class NamespaceRules {
    static final int DNS_PORT = 53;

    /** Addresses no capsule ever reaches, whatever its policy (plus the host's own and the capsules' range). */
    static final List<String> NEVER = List.of("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3",
            "255.255.255.255/32");
    /** Private and shared networks: refused unless {@code allow_out} names them. */
    static final List<String> PRIVATE = List.of("10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16",
            "198.18.0.0/15");

    private final List<String> never;
    private final List<String> privateNets;

    NamespaceRules(NetworkTarget.Cidr capsuleRange, HostFirewall.HostAddresses host) {
        List<String> n = new ArrayList<>(NEVER);
        n.add(capsuleRange.text());
        host.own().forEach(c -> n.add(c.text()));
        this.never = List.copyOf(n);
        List<String> p = new ArrayList<>(PRIVATE);
        host.networks().forEach(c -> p.add(c.text()));
        this.privateNets = List.copyOf(p);
    }

    /** The whole table for a new namespace, with {@code policy} in force. */
    String table(SlotAddresses slot, NetworkPolicy policy) {
        String guest = Ipv4.text(SlotAddresses.GUEST);
        String gateway = Ipv4.text(SlotAddresses.GATEWAY);
        String tap = dev.wrenn.host.vmm.NicBackend.Tap.DEVICE;
        String ns = SlotAddresses.NS_IF;
        return """
                table inet wrenn {
                  set never {
                    type ipv4_addr; flags interval; auto-merge;
                    elements = { %1$s }
                  }
                  set private {
                    type ipv4_addr; flags interval; auto-merge;
                    elements = { %2$s }
                  }
                  set allow {
                    type ipv4_addr; flags interval; auto-merge;
                  }
                  set deny {
                    type ipv4_addr; flags interval; auto-merge;
                  }
                  set allow_dns {
                    type ipv4_addr; flags timeout;
                  }
                  chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    iifname "%3$s" ip daddr %4$s udp dport %5$d dnat ip to %6$s:%5$d
                    iifname "%7$s" ip daddr %8$s meta l4proto tcp dnat ip to %9$s
                  }
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    oifname "%7$s" masquerade
                  }
                  chain forward {
                    type filter hook forward priority filter; policy drop;
                    ct state established,related accept
                    ct state invalid drop
                    iifname "%7$s" oifname "%3$s" ct status dnat accept
                    iifname != "%3$s" drop
                    ip saddr != %9$s counter drop
                    tcp flags & (fin|syn|rst|ack) != syn reject with tcp reset
                    ct count over %10$d counter reject
                    ip daddr %6$s udp dport %5$d accept
                    ip daddr @deny reject with icmp type admin-prohibited
                    ip daddr @never reject with icmp type admin-prohibited
                    ip daddr @allow accept
                    ip daddr @allow_dns accept
                    ip daddr @private reject with icmp type admin-prohibited
                    jump internet
                  }
                  chain internet {
                  }
                  chain input {
                    type filter hook input priority filter; policy drop;
                    ct state established,related accept
                    iifname "lo" accept
                  }
                }
                """.formatted(String.join(", ", never), String.join(", ", privateNets), tap, gateway, DNS_PORT,
                slot.hostIpText(), ns, slot.nsIpText(), guest, NetworkSlot.MAX_CONNECTIONS)
                + policy(policy);
    }

    /** Puts {@code policy} in force in one transaction; addresses allowed by name are forgotten. */
    static String policy(NetworkPolicy policy) {
        StringBuilder s = new StringBuilder("""
                flush set inet wrenn allow
                flush set inet wrenn deny
                flush set inet wrenn allow_dns
                flush chain inet wrenn internet
                """);
        addElements(s, "allow", cidrs(policy.allowOut()));
        addElements(s, "deny", cidrs(policy.denyOut()));
        s.append("add rule inet wrenn internet ")
                .append(policy.allowInternet() ? "accept" : "reject with icmp type admin-prohibited").append('\n');
        return s.toString();
    }

    /** Lets the guest reach addresses an allowed domain resolved to, for {@code seconds}. */
    static String allowResolved(List<Integer> addresses, int seconds) {
        return "add element inet wrenn allow_dns { " + addresses.stream()
                .map(a -> Ipv4.text(a) + " timeout " + seconds + "s").collect(Collectors.joining(", ")) + " }\n";
    }

    private static List<String> cidrs(List<NetworkTarget> targets) {
        return targets.stream().filter(t -> t instanceof NetworkTarget.Cidr).map(NetworkTarget::text).toList();
    }

    private static void addElements(StringBuilder s, String set, List<String> elements) {
        if (!elements.isEmpty()) {
            s.append("add element inet wrenn ").append(set).append(" { ").append(String.join(", ", elements)).append(" }\n");
        }
    }
}
