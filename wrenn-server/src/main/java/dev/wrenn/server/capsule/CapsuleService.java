package dev.wrenn.server.capsule;

import static dev.wrenn.server.capsule.CapsuleStatus.ERROR;
import static dev.wrenn.server.capsule.CapsuleStatus.PAUSED;
import static dev.wrenn.server.capsule.CapsuleStatus.PENDING;
import static dev.wrenn.server.capsule.CapsuleStatus.RUNNING;
import static dev.wrenn.server.capsule.CapsuleStatus.STARTING;
import static dev.wrenn.server.capsule.CapsuleStatus.STOPPED;

import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.ExitCause;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.Phase;
import dev.wrenn.server.Clock;
import dev.wrenn.server.Ids;
import dev.wrenn.server.OperationTracker;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.ops.Metrics;
import dev.wrenn.server.store.CapsuleStore;
import dev.wrenn.server.store.DatabaseUnavailableException;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capsule lifecycle over the database (the truth about records) and the host agent (the owner
 * of VMs). Each operation takes the capsule's operation slot in the database, acts on the host,
 * then records the outcome; a failure on the host is reconciled with what the host then has.
 */
public final class CapsuleService {
    private static final Logger log = LoggerFactory.getLogger(CapsuleService.class);
    public static final int DEFAULT_VCPUS = 1;
    public static final int DEFAULT_MEMORY_MB = 512;
    public static final String INACTIVITY = "inactivity_timeout";
    public static final String VM_EXITED = "vm_exited";
    public static final String HOST_LOST = "host_lost";
    public static final String HOST_DRAINING = "host_draining";
    /** How long the outcome of a host operation waits for an unreachable database. */
    private static final Duration RECORD_PATIENCE = Duration.ofMinutes(2);

    /** A create request after validation; null vcpus/memory = the default (or the template's size). */
    public record CreateRequest(String template, Integer vcpus, Integer memoryMb, int timeoutSec,
                                Map<String, String> metadata, CapsuleNetwork network) {}

    private final CapsuleStore store;
    private final Hosts hosts;
    private final Templates templates;
    private final TemplateTransfer transfer;
    private final Capacity capacity;
    private final ActivityTracker activity;
    private final Metrics metrics;
    private final OperationTracker tracker;
    private final Map<String, CompletableFuture<Void>> boots = new ConcurrentHashMap<>();

    public CapsuleService(CapsuleStore store, Hosts hosts, Templates templates, TemplateTransfer transfer, Capacity capacity,
                          ActivityTracker activity, Metrics metrics, OperationTracker tracker) {
        this.store = store;
        this.hosts = hosts;
        this.templates = templates;
        this.transfer = transfer;
        this.capacity = capacity;
        this.activity = activity;
        this.metrics = metrics;
        this.tracker = tracker;
        hosts.onVmExit(this::vmExited);
    }

    /**
     * Records what has happened on the host: the VM is paused, running or gone whatever the
     * database says, so an unreachable database is waited for (up to {@link #RECORD_PATIENCE}),
     * not given up on; after that the next start's recovery settles the record.
     */
    private <T> T recorded(Supplier<T> write) {
        long deadline = System.nanoTime() + RECORD_PATIENCE.toNanos();
        long backoffMs = 100;
        while (true) {
            try {
                return write.get();
            } catch (DatabaseUnavailableException e) {
                if (System.nanoTime() > deadline) throw e;
                log.atWarn().log("database unreachable while recording an outcome; retrying in {} ms: {}", backoffMs, e.getMessage());
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoffMs = Math.min(backoffMs * 2, 5_000);
            }
        }
    }

    // ---- queries ------------------------------------------------------------------------------

    /** The capsule as users see it: one whose host is unreachable has {@code status_reason} host_lost. */
    public CapsuleRecord get(String teamId, String id) {
        CapsuleRecord c = store.find(teamId, id).orElseThrow(() -> ApiException.notFound("capsule " + id + " does not exist"));
        return shown(c, hosts.lost());
    }

    /** A capsule of any team: for the port proxy, where the capsule id is the secret and no key is sent. */
    public Optional<CapsuleRecord> find(String id) {
        return store.find(id);
    }

    /** The team's capsules, newest first, in {@code statuses} (empty: all) with every {@code metadata} pair. */
    public List<CapsuleRecord> list(String teamId, Collection<CapsuleStatus> statuses, Map<String, String> metadata) {
        Set<String> lost = hosts.lost();
        return store.list(teamId, statuses).stream()
                .filter(c -> metadata.entrySet().stream().allMatch(e -> e.getValue().equals(c.metadata().get(e.getKey()))))
                .map(c -> shown(c, lost))
                .toList();
    }

    /** Its status stays what it was (a paused capsule's files are on that host); the reason says why nothing works now. */
    private static CapsuleRecord shown(CapsuleRecord c, Set<String> lostHosts) {
        if (c.status() == STOPPED || c.status() == ERROR || !lostHosts.contains(c.hostId())) return c;
        return c.withStatusReason(HOST_LOST);
    }

    // ---- create -------------------------------------------------------------------------------

    /** Records the capsule as pending and boots it in the background; {@code wait} holds until it settles. */
    public CapsuleRecord create(String teamId, CreateRequest req, Duration wait) {
        Templates.Resolved t = templates.resolve(teamId, req.template());
        int vcpus = sizeFor(t, req.vcpus(), t.vcpus(), DEFAULT_VCPUS, "vcpus");
        int memoryMb = sizeFor(t, req.memoryMb(), t.memoryMb(), DEFAULT_MEMORY_MB, "memory_mb");
        long now = Clock.uniqueMillis();
        String id = Ids.CAPSULE.next();
        CompletableFuture<Void> booted = new CompletableFuture<>();
        boots.put(id, booted);
        CapsuleRecord c;
        try {
            c = capacity.place(teamId, candidates(t), holders(t), vcpus, memoryMb, hostId -> {
                CapsuleRecord r = new CapsuleRecord(id, teamId, hostId, PENDING, null, t.name(), t.hostName(), vcpus, memoryMb,
                        req.timeoutSec(), req.metadata(), req.network(), now, now, null, null, Operation.CREATE, now);
                store.insert(r);
                return r;
            });
        } catch (RuntimeException e) {
            boots.remove(id);
            throw e;
        }
        log.atInfo().addKeyValue("capsule", c.id()).addKeyValue("team", teamId).addKeyValue("template", t.name())
                .addKeyValue("host", c.hostId()).addKeyValue("vcpus", vcpus).addKeyValue("memory_mb", memoryMb)
                .log("capsule accepted");
        if (!spawnBoot(c, t)) boots.remove(c.id()).complete(null);
        if (!wait.isZero()) await(booted, wait);
        return get(teamId, c.id());
    }

    /**
     * Boots again, in the background, a capsule whose create a restart of the server interrupted
     * before its VM ran (recovery): a create holds no user data yet, so it is finished, not failed.
     * The record must be pending with the create's operation slot.
     */
    public void bootAgain(CapsuleRecord c) {
        spawnBoot(c, new Templates.Resolved(c.template(), c.hostTemplate(), templates.isBuiltIn(c.template()), null, null,
                null));
    }

    /** Boots the capsule in the background; false (and the capsule failed) when the server is shutting down. */
    private boolean spawnBoot(CapsuleRecord c, Templates.Resolved t) {
        if (tracker.spawn("boot-" + c.id(), () -> boot(c, t))) return true;
        recorded(() -> store.finish(c.id(), Operation.CREATE, Lifecycle.BOOT_FAILED.from(), ERROR,
                "create_failed: the server is shutting down", Clock.millis(), null));
        return false;
    }

    /**
     * Where a capsule of {@code t} may go: any placeable host (a snapshot template is copied to the one
     * chosen if it lacks it); a template saved by a control plane's embedded host before hosts were
     * recorded, only there.
     */
    private List<String> candidates(Templates.Resolved t) {
        if (!t.builtIn() && t.hostId() == null) {
            return List.of(hosts.localId().orElseThrow(() -> ApiException.hostUnavailable("template '" + t.name()
                    + "' was saved by the embedded host of a control plane; create from it there", null)));
        }
        return hosts.placeable();
    }

    /** The hosts that hold {@code t} already, which placement prefers (every host has the built-in ones). */
    private Set<String> holders(Templates.Resolved t) {
        return t.builtIn() ? Set.of() : Set.copyOf(transfer.holders(t.hostName()));
    }

    /** A built-in template takes any size; a snapshot template has its own, which a request may only repeat. */
    private static int sizeFor(Templates.Resolved t, Integer requested, Integer fixed, int dflt, String field) {
        if (fixed == null) return requested == null ? dflt : requested;
        if (requested != null && !requested.equals(fixed)) {
            throw ApiException.invalid(field + " " + requested + " differs from template '" + t.name() + "', which was saved with "
                    + fixed + "; omit " + field + " or pass " + fixed);
        }
        return fixed;
    }

    private void boot(CapsuleRecord c, Templates.Resolved t) {
        String id = c.id();
        long t0 = System.nanoTime();
        String outcome = "error";
        try {
            if (!store.move(id, Lifecycle.BOOT.from(), STARTING, null, Clock.millis(), null)) {
                store.release(id, Operation.CREATE);
                outcome = "aborted";
                return;
            }
            try {
                if (!t.builtIn()) transfer.ensureOn(t.hostName(), c.hostId());
                hosts.of(c.hostId()).create(id, t.hostName(), t.builtIn() ? c.vcpus() : null, t.builtIn() ? c.memoryMb() : null,
                        c.network().policy());
            } catch (RuntimeException | LinkageError e) {
                // a LinkageError too (a host agent of another build): the capsule must not stay starting for good
                RuntimeException failure = e instanceof RuntimeException r ? r : new IllegalStateException(e.toString(), e);
                String reason = "create_failed: " + HostErrors.map(failure, "boot").getMessage();
                log.atWarn().addKeyValue("capsule", id).log("boot failed: {}", e.getMessage());
                destroyOnHostQuietly(c.hostId(), id);
                if (!recorded(() -> store.finish(id, Operation.CREATE, Lifecycle.BOOT_FAILED.from(), ERROR, reason, Clock.millis(), null))) {
                    store.release(id, Operation.CREATE);
                }
                return;
            }
            long now = Clock.millis();
            if (recorded(() -> store.finish(id, Operation.CREATE, Lifecycle.BOOTED.from(), RUNNING, null, now, now))) {
                outcome = "ok";
                log.atInfo().addKeyValue("capsule", id).addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000)
                        .log("capsule running");
            } else {
                // destroyed while it booted: the VM it got is not wanted any more
                destroyOnHostQuietly(c.hostId(), id);
                store.release(id, Operation.CREATE);
                outcome = "aborted";
                log.atInfo().addKeyValue("capsule", id).log("boot aborted by destroy");
            }
        } catch (RuntimeException e) {
            log.atError().addKeyValue("capsule", id).setCause(e).log("boot could not be recorded");
        } finally {
            metrics.operation("create", outcome, Duration.ofNanos(System.nanoTime() - t0));
            CompletableFuture<Void> f = boots.remove(id);
            if (f != null) f.complete(null);
        }
    }

    // ---- pause / resume / ping / destroy ------------------------------------------------------

    public CapsuleRecord pause(String teamId, String id) {
        return pause(get(teamId, id), null);
    }

    /** Pauses a running capsule; {@code reason} is its status_reason afterwards (null for a user's pause). */
    CapsuleRecord pause(CapsuleRecord c, String reason) {
        String id = c.id();
        Lifecycle.PAUSE.check(c);
        Host host = hosts.of(c.hostId());
        claim(c, Lifecycle.PAUSE, Operation.PAUSE);
        log.atInfo().addKeyValue("capsule", id).addKeyValue("reason", reason).log("pausing capsule");
        timed("pause", () -> {
            try {
                host.pause(id);
            } catch (RuntimeException e) {
                settleAfterFailure(host, id, Operation.PAUSE);
                throw HostErrors.map(e, "pausing capsule " + id);
            }
            recorded(() -> store.finish(id, Operation.PAUSE, Lifecycle.PAUSE.from(), PAUSED, reason, Clock.millis(), null));
            return null;
        });
        log.atInfo().addKeyValue("capsule", id).addKeyValue("reason", reason).log("capsule paused");
        return store.find(id).orElseThrow();
    }

    public CapsuleRecord resume(String teamId, String id) {
        CapsuleRecord c = get(teamId, id);
        Lifecycle.RESUME.check(c);
        Host host = hosts.of(c.hostId());
        if (hosts.isDraining(c.hostId())) {
            throw ApiException.hostUnavailable("capsule " + id + " is on host " + c.hostId() + ", which is being drained; it"
                    + " resumes when the drain is undone (wrenn hosts drain --undo HOST) or once it is moved to another host"
                    + " (wrenn hosts drain --move HOST)", null);
        }
        capacity.admit(teamId, c.hostId(), c.vcpus(), c.memoryMb(), () -> {
            claim(c, Lifecycle.RESUME, Operation.RESUME);
            return null;
        });
        timed("resume", () -> {
            try {
                host.resume(id);
            } catch (RuntimeException e) {
                settleAfterFailure(host, id, Operation.RESUME);
                throw HostErrors.map(e, "resuming capsule " + id);
            }
            long now = Clock.millis();
            recorded(() -> store.finish(id, Operation.RESUME, Lifecycle.RESUME.from(), RUNNING, null, now, now));
            return null;
        });
        log.atInfo().addKeyValue("capsule", id).log("capsule resumed");
        return store.find(id).orElseThrow();
    }

    /** Gives a running or paused capsule a new network policy; the host applies it before it is recorded. */
    public CapsuleRecord setNetwork(String teamId, String id, NetworkPolicy policy) {
        CapsuleRecord c = get(teamId, id);
        Lifecycle.SET_NETWORK.check(c);
        Host host = hosts.of(c.hostId());
        claim(c, Lifecycle.SET_NETWORK, Operation.NETWORK);
        timed("network", () -> {
            try {
                host.setNetwork(id, policy);
            } catch (RuntimeException e) {
                store.release(id, Operation.NETWORK);
                throw HostErrors.map(e, "changing the network of capsule " + id);
            }
            recorded(() -> store.finishNetwork(id, policy));
            return null;
        });
        log.atInfo().addKeyValue("capsule", id).addKeyValue("allow_internet", policy.allowInternet())
                .addKeyValue("allow_out", policy.allowOut().size()).addKeyValue("deny_out", policy.denyOut().size())
                .log("capsule network changed");
        return store.find(id).orElseThrow();
    }

    public void ping(String teamId, String id) {
        CapsuleRecord c = get(teamId, id);
        Lifecycle.PING.check(c);
        hosts.of(c.hostId());   // a capsule whose host is lost is not kept alive: 503 like every other operation
        activity.touch(id);
    }

    /** Stops the capsule for good; a boot in progress is aborted, stopped and failed capsules are left as they are. */
    public void destroy(String teamId, String id) {
        CapsuleRecord c = get(teamId, id);
        if (c.status() == STOPPED || c.status() == ERROR) return;
        Host host = hosts.of(c.hostId());
        if (c.operation() == Operation.CREATE) {
            // the boot thread sees the capsule stopped when it finishes and throws its VM away
            if (store.move(id, EnumSet.of(PENDING, STARTING), STOPPED, null, Clock.millis(), null)) {
                log.atInfo().addKeyValue("capsule", id).log("capsule destroyed during its boot");
                activity.forget(id);
                return;
            }
            c = get(teamId, id);
            if (c.status() == STOPPED || c.status() == ERROR) return;
        }
        CapsuleRecord claimed = c;
        claim(claimed, Lifecycle.DESTROY, Operation.DESTROY);
        timed("destroy", () -> {
            try {
                host.destroy(id);
            } catch (RuntimeException e) {
                store.release(id, Operation.DESTROY);
                throw HostErrors.map(e, "destroying capsule " + id);
            }
            recorded(() -> store.finish(id, Operation.DESTROY, Lifecycle.DESTROY.from(), STOPPED, null, Clock.millis(), null));
            return null;
        });
        activity.forget(id);
        log.atInfo().addKeyValue("capsule", id).log("capsule destroyed");
    }

    // ---- for exec, files and processes ---------------------------------------------------------

    /** The capsule, once it can be used: a booting one is awaited up to {@code wait}; 409 otherwise. */
    public CapsuleRecord usable(String teamId, String id, Duration wait) {
        CapsuleRecord c = get(teamId, id);
        if (c.status() == PENDING || c.status() == STARTING) c = afterBoot(c, wait);
        Lifecycle.USE.check(c);
        return c;
    }

    /** The capsule once its boot has ended (running or error), or as it is after {@code wait}. */
    public CapsuleRecord afterBoot(CapsuleRecord c, Duration wait) {
        CompletableFuture<Void> booted = boots.get(c.id());
        if (booted != null) await(booted, wait);
        return get(c.teamId(), c.id());
    }

    // ---- background ---------------------------------------------------------------------------

    /** Pauses the capsule if it has been idle longer than its timeout and nothing is using it. */
    void pauseIfIdle(CapsuleRecord c, long now) {
        if (c.timeoutSec() <= 0 || c.status() != RUNNING || c.operation() != null || activity.inUse(c.id())) return;
        if (now - activity.idleSince(c) < c.timeoutSec() * 1000L) return;
        try {
            pause(c, INACTIVITY);
        } catch (ApiException e) {
            log.atInfo().addKeyValue("capsule", c.id()).log("inactivity pause skipped: {}", e.getMessage());
        }
    }

    /** Pauses a running capsule of a host being drained, so the host can go down without losing it. */
    void pauseForDrain(CapsuleRecord c) {
        try {
            pause(c, HOST_DRAINING);
        } catch (ApiException e) {
            log.atInfo().addKeyValue("capsule", c.id()).addKeyValue("host", c.hostId()).log("drain pause skipped: {}", e.getMessage());
        }
    }

    private void vmExited(CapsuleState state) {
        String id = state.id();
        if (store.move(id, Lifecycle.VM_EXITED.from(), ERROR, VM_EXITED, Clock.millis(), null)) {
            log.atWarn().addKeyValue("capsule", id).log("capsule's VM exited on its own: {}", state.exitDetail());
            store.find(id).ifPresent(c -> destroyOnHostQuietly(c.hostId(), id));
            activity.forget(id);
        }
    }

    /**
     * After a pause or resume failed on the host: the host either rolled back (the capsule is as
     * before) or lost the VM; the record follows it.
     */
    private void settleAfterFailure(Host host, String id, Operation op) {
        Optional<CapsuleState> state;
        try {
            state = host.capsule(id);
        } catch (RuntimeException unreachable) {
            // the host cannot tell now: the capsule stays as recorded, its host reconciles it when it is back
            store.release(id, op);
            return;
        }
        Phase phase = state.map(CapsuleState::phase).orElse(Phase.EXITED);
        long now = Clock.millis();
        switch (phase) {
            case RUNNING -> {
                if (!recorded(() -> store.finish(id, op, EnumSet.of(RUNNING, PAUSED), RUNNING, null, now, op == Operation.RESUME ? now : null))) {
                    store.release(id, op);
                }
            }
            case PAUSED -> {
                if (!recorded(() -> store.finish(id, op, EnumSet.of(RUNNING, PAUSED), PAUSED, null, now, null))) store.release(id, op);
            }
            case EXITED -> {
                recorded(() -> store.finish(id, op, EnumSet.of(RUNNING, PAUSED), ERROR, statusReason(state), now, null));
                destroyOnHostQuietly(host, id);
            }
        }
    }

    /** A gone VM's status_reason: {@code vm_exited} when it ended on its own, else {@code host_lost}. */
    static String statusReason(Optional<CapsuleState> state) {
        return state.map(CapsuleState::exitCause).orElse(ExitCause.HOST_LOST) == ExitCause.VM_EXITED ? VM_EXITED : HOST_LOST;
    }

    private void claim(CapsuleRecord c, Lifecycle move, Operation op) {
        move.check(c);
        if (!store.claim(c.id(), op, move.from(), Clock.millis())) {
            CapsuleRecord now = store.find(c.id()).orElseThrow(() -> ApiException.notFound("capsule " + c.id() + " does not exist"));
            throw move.refusal(now);
        }
    }

    private <T> T timed(String operation, Supplier<T> work) {
        long t0 = System.nanoTime();
        String outcome = "error";
        try {
            T result = work.get();
            outcome = "ok";
            return result;
        } finally {
            metrics.operation(operation, outcome, Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    private void destroyOnHostQuietly(String hostId, String id) {
        destroyOnHostQuietly(hosts, hostId, id);
    }

    /** Removes a capsule's VM and files from a host; a failure is logged (the host's next reconcile removes them). */
    static void destroyOnHostQuietly(Hosts hosts, String hostId, String id) {
        try {
            destroyOnHostQuietly(hosts.of(hostId), id);
        } catch (ApiException unreachable) {
            log.atWarn().addKeyValue("capsule", id).log("could not remove the capsule from its host: {}", unreachable.getMessage());
        }
    }

    private static void destroyOnHostQuietly(Host host, String id) {
        try {
            host.destroy(id);
        } catch (RuntimeException e) {
            log.atWarn().addKeyValue("capsule", id).log("could not remove the capsule from the host: {}", e.getMessage());
        }
    }

    private static void await(CompletableFuture<Void> f, Duration wait) {
        try {
            f.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // the caller answers with the status as it is now
        } catch (ExecutionException e) {
            throw new IllegalStateException("boot future failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
