package dev.wrenn.host.net;

import dev.wrenn.host.api.Ipv4;
import dev.wrenn.host.api.NetworkTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's side of capsule networking: IPv4 forwarding on, and table {@code inet wrenn} in the
 * host's namespace. The table matches only the capsules' host-side interfaces, so it is the same
 * for every host agent on the machine and whoever starts last replaces it atomically.
 * It drops anything a capsule sends to the host itself (but DNS to its resolver), anything between
 * capsules, and masquerades capsule traffic leaving the host. If forwarding was off before the
 * first agent turned it on, forwarding that does not involve a capsule stays dropped.
 */
final class HostFirewall {
    private static final Logger log = LoggerFactory.getLogger(HostFirewall.class);
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
    private static final Pattern INET = Pattern.compile("^\\d+:\\s+(\\S+)\\s+inet\\s+(\\d+\\.\\d+\\.\\d+\\.\\d+)/(\\d+)");

    /** The host's own IPv4 addresses and the networks they are on, as seen when the agent started. */
    record HostAddresses(List<NetworkTarget.Cidr> own, List<NetworkTarget.Cidr> networks) {
    }

    private HostFirewall() {
    }

    /** Turns forwarding on and (re)loads the host's table; returns the host's addresses for the namespaces' rules. */
    static HostAddresses install(Path stateDir) throws IOException {
        Path original = stateDir.resolve("ip_forward.orig");
        if (!Files.exists(original)) Files.writeString(original, Files.readString(IP_FORWARD).trim());
        boolean wasForwarding = Files.readString(original).trim().equals("1");
        NetTools.nft(script(wasForwarding));
        Files.writeString(IP_FORWARD, "1");
        HostAddresses addresses = addresses();
        log.atInfo().addKeyValue("host_addresses", addresses.own().size())
                .addKeyValue("forwarding_before", wasForwarding).log("host firewall for capsules loaded");
        return addresses;
    }

    static String script(boolean wasForwarding) {
        String capsule = '"' + SlotAddresses.HOST_IF_PREFIX + "*\"";
        return """
                table inet wrenn {}
                delete table inet wrenn
                table inet wrenn {
                  chain input {
                    type filter hook input priority filter - 10; policy accept;
                    iifname %1$s ct state established,related accept
                    iifname %1$s udp dport 53 accept
                    iifname %1$s counter drop
                  }
                  chain forward {
                    type filter hook forward priority filter - 10; policy accept;
                    iifname %1$s oifname %1$s counter drop
                %2$s  }
                  chain postrouting {
                    type nat hook postrouting priority srcnat - 10; policy accept;
                    iifname %1$s oifname != %1$s masquerade
                  }
                }
                """.formatted(capsule, wasForwarding ? ""
                : "    iifname != " + capsule + " oifname != " + capsule + " drop\n");
    }

    /** Every IPv4 address of the host's interfaces but the capsules' own, and their networks. */
    static HostAddresses addresses() throws IOException {
        List<NetworkTarget.Cidr> own = new ArrayList<>();
        List<NetworkTarget.Cidr> networks = new ArrayList<>();
        for (String line : NetTools.ipOutput("-4", "-o", "addr", "show").split("\n")) {
            Matcher m = INET.matcher(line);
            if (!m.find() || m.group(1).startsWith(SlotAddresses.HOST_IF_PREFIX)) continue;
            int ip = Ipv4.parse(m.group(2));
            own.add(new NetworkTarget.Cidr(ip, 32));
            networks.add(new NetworkTarget.Cidr(ip, Integer.parseInt(m.group(3))));
        }
        return new HostAddresses(own, networks);
    }
}
