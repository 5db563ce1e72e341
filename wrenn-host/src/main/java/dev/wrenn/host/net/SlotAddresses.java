package dev.wrenn.host.net;

import dev.wrenn.host.api.Ipv4;
import dev.wrenn.host.api.NetworkTarget;
import java.nio.file.Path;

/**
 * Names and addresses of network slot {@code index}: namespace {@code wrenn-INDEX}, joined to the
 * host by a veth pair numbered from the host's range, a /30 per slot. Inside every namespace the
 * capsule side is the same ({@link #GUEST}, {@link #GATEWAY} on {@code tap0}).
 */
record SlotAddresses(int index, int hostIp, int nsIp) {
    static final String NS_PREFIX = "wrenn-";
    /** Every host-side veth is named with this prefix: the host's rules match it, whatever the range. */
    static final String HOST_IF_PREFIX = "wrn-h-";
    static final String NS_IF = "veth0";
    static final int GUEST = Ipv4.parse("169.254.0.21");
    static final int GATEWAY = Ipv4.parse("169.254.0.22");
    /** The TAP's MAC, the same in every namespace: a restored guest's neighbour cache stays right. */
    static final String GATEWAY_MAC = "02:77:72:00:00:01";

    static SlotAddresses of(NetworkTarget.Cidr range, int index) {
        if (index < 0 || index >= capacity(range)) {
            throw new IllegalArgumentException("slot " + index + " is outside range " + range.text());
        }
        int base = range.address() + 4 * index;
        return new SlotAddresses(index, base + 1, base + 2);
    }

    /** How many /30s the range holds. */
    static int capacity(NetworkTarget.Cidr range) {
        return 1 << (32 - range.prefix() - 2);
    }

    String namespace() {
        return NS_PREFIX + index;
    }

    Path namespacePath() {
        return Path.of("/run/netns", namespace());
    }

    String hostInterface() {
        return HOST_IF_PREFIX + index;
    }

    String hostIpText() {
        return Ipv4.text(hostIp);
    }

    String nsIpText() {
        return Ipv4.text(nsIp);
    }
}
