package dev.wrenn.host.vmm;

import java.nio.file.Path;
import java.util.List;

/**
 * What the VM's network card is plugged into. The card is part of the device layout; of the
 * backend, the saved state keeps whether it passes virtio-net headers (a TAP does, a hub does
 * not), and a state saved with them loads only onto a backend that has them: every VM of a host
 * with networking is on a TAP, so templates, clones and paused capsules all agree.
 */
public sealed interface NicBackend {
    /** QEMU's netdev for the card, id {@code net0}. */
    List<String> netdevArgs();

    /** What VMs that boot only to be saved (template builds, state converters) are plugged into. */
    static NicBackend detached(boolean hostHasNetworking) {
        return hostHasNetworking ? new LooseTap() : new Hub();
    }

    /**
     * A TAP of its own in the host's namespace that nothing brings up, so no frame goes anywhere;
     * the kernel numbers it and removes it with the VM.
     */
    record LooseTap() implements NicBackend {
        @Override
        public List<String> netdevArgs() {
            return List.of("-netdev", "tap,id=net0,ifname=wrnb%d,script=no,downscript=no,vhost=off");
        }
    }

    /** A hub with no other port: for hosts with networking off (no TAP devices there). */
    record Hub() implements NicBackend {
        @Override
        public List<String> netdevArgs() {
            return List.of("-netdev", "hubport,id=net0,hubid=0");
        }
    }

    /**
     * The TAP device {@code tap0} of a network namespace: QEMU is started inside the namespace and
     * opens it there, so every capsule's TAP has the same name.
     *
     * @param netns the namespace's bind mount, e.g. {@code /run/netns/wrenn-7}
     */
    record Tap(Path netns) implements NicBackend {
        public static final String DEVICE = "tap0";

        @Override
        public List<String> netdevArgs() {
            return List.of("-netdev", "tap,id=net0,ifname=" + DEVICE + ",script=no,downscript=no,vhost=off");
        }
    }
}
