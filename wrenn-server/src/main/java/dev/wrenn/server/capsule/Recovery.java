package dev.wrenn.server.capsule;

import static dev.wrenn.server.capsule.CapsuleStatus.ERROR;
import static dev.wrenn.server.capsule.CapsuleStatus.PAUSED;
import static dev.wrenn.server.capsule.CapsuleStatus.PENDING;
import static dev.wrenn.server.capsule.CapsuleStatus.RUNNING;
import static dev.wrenn.server.capsule.CapsuleStatus.STARTING;
import static dev.wrenn.server.capsule.CapsuleStatus.STOPPED;

import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.api.TemplateInfo;
import dev.wrenn.server.Clock;
import dev.wrenn.server.store.CapsuleStore;
import dev.wrenn.server.store.SnapshotStore;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs once at start, after the host agent has found its VMs again: makes every capsule record
 * agree with the host, so that after a restart or a kill -9 at any moment each capsule is in a
 * status a user can act on. The host decides what exists; the record says what the user sees.
 * Only this host's capsules are touched: control planes sharing a database each recover their own.
 */
public final class Recovery {
    private static final Logger log = LoggerFactory.getLogger(Recovery.class);
    private static final EnumSet<CapsuleStatus> ANY = EnumSet.allOf(CapsuleStatus.class);

    private final CapsuleStore capsules;
    private final SnapshotStore snapshots;
    private final Host host;
    private final String hostId;
    private final Consumer<CapsuleRecord> bootAgain;

    /** {@code bootAgain} finishes, in the background, a create the restart interrupted before its VM ran. */
    public Recovery(CapsuleStore capsules, SnapshotStore snapshots, Host host, String hostId, Consumer<CapsuleRecord> bootAgain) {
        this.hostId = hostId;
        this.bootAgain = bootAgain;
        this.capsules = capsules;
        this.snapshots = snapshots;
        this.host = host;
    }

    public void run() {
        Map<String, CapsuleState> onHost = new HashMap<>();
        host.capsules().forEach(i -> onHost.put(i.id(), i));
        Set<String> known = new HashSet<>();
        List<CapsuleRecord> live = capsules.listByStatus(hostId, EnumSet.of(PENDING, STARTING, RUNNING, PAUSED));
        for (CapsuleRecord c : live) {
            known.add(c.id());
            try {
                recover(c, Optional.ofNullable(onHost.get(c.id())));
            } catch (RuntimeException e) {
                log.atError().addKeyValue("capsule", c.id()).setCause(e).log("could not recover capsule");
            }
        }
        for (CapsuleRecord c : capsules.listWithOperation(hostId)) {
            if (!known.contains(c.id())) capsules.release(c.id(), c.operation()); // stopped/error: nothing was left to do
        }
        // VMs the records say should not exist: stopped or failed capsules whose removal was interrupted
        for (String id : onHost.keySet()) {
            if (!known.contains(id)) {
                log.atInfo().addKeyValue("capsule", id).log("removing a VM whose capsule is stopped or unknown");
                host.destroy(id);
            }
        }
        removeOrphanTemplates();
    }

    /**
     * For a host that registered again or is heard from after being unreachable: while nobody could
     * reach it, VMs may have ended. The records without an operation in flight follow what the host
     * has now (operations in flight belong to control planes that still run them); VMs no live record
     * names are removed.
     */
    public void reconcile() {
        Map<String, CapsuleState> onHost = new HashMap<>();
        host.capsules().forEach(i -> onHost.put(i.id(), i));
        Set<String> known = new HashSet<>();
        for (CapsuleRecord c : capsules.listByStatus(hostId, EnumSet.of(PENDING, STARTING, RUNNING, PAUSED))) {
            known.add(c.id());
            if (c.operation() != null || c.status() == PENDING || c.status() == STARTING) continue;
            try {
                recover(c, Optional.ofNullable(onHost.get(c.id())));
            } catch (RuntimeException e) {
                log.atError().addKeyValue("capsule", c.id()).setCause(e).log("could not reconcile capsule");
            }
        }
        for (String id : onHost.keySet()) {
            if (!known.contains(id)) {
                log.atInfo().addKeyValue("capsule", id).addKeyValue("host", hostId).log("removing a VM whose capsule is stopped or unknown");
                host.destroy(id);
            }
        }
        removeOrphanTemplates();   // deleted while the host was unreachable
    }

    /** Settles one capsule whose operation nobody runs any more (its control plane is gone) by what the host has. */
    public void settle(CapsuleRecord c) {
        recover(c, host.capsule(c.id()));
    }

    private void recover(CapsuleRecord c, Optional<CapsuleState> vm) {
        String id = c.id();
        long now = Clock.millis();
        Operation op = c.operation();
        if ((c.status() == PENDING || c.status() == STARTING) && op != Operation.DESTROY) {
            if (vm.map(CapsuleState::phase).orElse(null) == Phase.RUNNING) {
                end(c, RUNNING, null, now, now);
                log.atInfo().addKeyValue("capsule", id).log("interrupted create had finished on the host: capsule is running");
            } else {
                host.destroy(id);   // what an interrupted restore left (a create still under way there ends first)
                capsules.move(id, EnumSet.of(STARTING), PENDING, null, now, null);
                bootAgain.accept(c);
                log.atInfo().addKeyValue("capsule", id).log("interrupted create started again");
            }
            return;
        }
        if (op == Operation.DESTROY) {
            vm.ifPresent(i -> host.destroy(id));
            end(c, STOPPED, null, now, null);
            log.atInfo().addKeyValue("capsule", id).log("interrupted destroy finished");
            return;
        }
        Phase phase = vm.map(CapsuleState::phase).orElse(Phase.EXITED);
        if (op == Operation.NETWORK && phase != Phase.EXITED) restoreNetwork(c);
        switch (phase) {
            case RUNNING -> {
                boolean resumed = c.status() == PAUSED;
                end(c, RUNNING, c.status() == RUNNING ? c.statusReason() : null, now, resumed ? now : null);
                log.atInfo().addKeyValue("capsule", id).addKeyValue("was", describe(c)).log("capsule is running");
            }
            case PAUSED -> {
                String reason = c.status() == PAUSED ? c.statusReason() : null;
                end(c, PAUSED, reason, now, null);
                log.atInfo().addKeyValue("capsule", id).addKeyValue("was", describe(c)).log("capsule is paused");
            }
            case EXITED -> {
                String reason = CapsuleService.statusReason(vm);
                vm.ifPresent(i -> host.destroy(id));
                end(c, ERROR, reason, now, null);
                log.atWarn().addKeyValue("capsule", id).addKeyValue("was", describe(c)).log("capsule lost its VM: {}", reason);
            }
        }
    }

    /**
     * A network change interrupted between the host and the record: the host may have the new
     * policy, the record (what the user was last told) has the old one; the host gets the record's.
     */
    private void restoreNetwork(CapsuleRecord c) {
        try {
            host.setNetwork(c.id(), c.network().policy());
            log.atInfo().addKeyValue("capsule", c.id()).log("interrupted network change rolled back to the recorded policy");
        } catch (RuntimeException e) {
            log.atWarn().addKeyValue("capsule", c.id()).log("could not restore the recorded network policy: {}", e.getMessage());
        }
    }

    /** Records the status, ending whatever operation was interrupted; a no-op when nothing changes. */
    private void end(CapsuleRecord c, CapsuleStatus to, String reason, long now, Long startedAt) {
        if (c.operation() != null) {
            capsules.finish(c.id(), c.operation(), ANY, to, reason, now, startedAt);
        } else if (c.status() != to) {
            capsules.move(c.id(), ANY, to, reason, now, startedAt);
        }
    }

    private static String describe(CapsuleRecord c) {
        return c.status().wire() + (c.operation() == null ? "" : " (" + c.operation().progressive() + ")");
    }

    /**
     * Templates no team owns: a snapshot left them when the server died before recording them, or
     * they were deleted (or replaced) while this host was unreachable.
     */
    private void removeOrphanTemplates() {
        Set<String> recorded = new HashSet<>(snapshots.allHostNames());
        for (TemplateInfo t : host.templates()) {
            if (Templates.isTeamTemplate(t.name()) && !recorded.contains(t.name())) {
                log.atInfo().addKeyValue("template", t.name()).log("removing a template no team owns");
                try {
                    host.deleteTemplate(t.name());
                } catch (RuntimeException e) {
                    log.atWarn().addKeyValue("template", t.name()).log("could not remove it: {}", e.getMessage());
                }
            }
        }
    }
}
