package dev.wrenn.server.capsule;

import dev.wrenn.server.cluster.ControlPlane;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.store.CapsuleStore;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operations a control plane left when it died mid-way (a create booting, a pause writing): the
 * capsule holds its operation slot and nobody will release it. A surviving control plane adopts
 * each one and settles it by what the host has, as a restart settles its own: an interrupted
 * create boots again, anything else ends in the status the VM is in. Operations on the embedded
 * host of a dead control plane wait for it: nobody else can reach that host.
 */
public final class OrphanedOperations {
    private static final Logger log = LoggerFactory.getLogger(OrphanedOperations.class);

    private final CapsuleStore store;
    private final Hosts hosts;
    private final ControlPlane controlPlane;
    private final Function<String, Recovery> recoveryOf;

    /** {@code recoveryOf} gives the recovery of one host by its id. */
    public OrphanedOperations(CapsuleStore store, Hosts hosts, ControlPlane controlPlane, Function<String, Recovery> recoveryOf) {
        this.store = store;
        this.hosts = hosts;
        this.controlPlane = controlPlane;
        this.recoveryOf = recoveryOf;
    }

    public void adopt() {
        Set<String> reachable = new HashSet<>(hosts.reachable());
        long cutoff = controlPlane.liveCutoff();
        for (CapsuleRecord c : store.orphanedOperations(cutoff)) {
            if (hosts.isLocal(c.hostId()) || !reachable.contains(c.hostId()) || !store.adopt(c, cutoff)) continue;
            log.atInfo().addKeyValue("capsule", c.id()).addKeyValue("host", c.hostId())
                    .addKeyValue("operation", c.operation().wire()).log("adopting an operation whose control plane is gone");
            try {
                recoveryOf.apply(c.hostId()).settle(c);
            } catch (RuntimeException e) {
                log.atWarn().addKeyValue("capsule", c.id()).log("could not settle the adopted operation: {}", e.getMessage());
            }
        }
    }
}
