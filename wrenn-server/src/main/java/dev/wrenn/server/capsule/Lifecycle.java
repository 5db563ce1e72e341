package dev.wrenn.server.capsule;

import static dev.wrenn.server.capsule.CapsuleStatus.ERROR;
import static dev.wrenn.server.capsule.CapsuleStatus.PAUSED;
import static dev.wrenn.server.capsule.CapsuleStatus.PENDING;
import static dev.wrenn.server.capsule.CapsuleStatus.RUNNING;
import static dev.wrenn.server.capsule.CapsuleStatus.STARTING;
import static dev.wrenn.server.capsule.CapsuleStatus.STOPPED;

import dev.wrenn.server.error.ApiException;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The capsule state machine of api.md §3: every legal move, in one table. Services ask it whether
 * a move is allowed and the store applies it with a conditional UPDATE on the same "from" set.
 */
public enum Lifecycle {
    //           from                                          to        verb (for messages)
    BOOT(        EnumSet.of(PENDING),                          STARTING, "booted"),
    BOOTED(      EnumSet.of(STARTING),                         RUNNING,  "started"),
    BOOT_FAILED( EnumSet.of(PENDING, STARTING),                ERROR,    "failed"),
    PAUSE(       EnumSet.of(RUNNING),                          PAUSED,   "paused"),
    RESUME(      EnumSet.of(PAUSED),                           RUNNING,  "resumed"),
    DESTROY(     EnumSet.of(PENDING, STARTING, RUNNING, PAUSED), STOPPED, "destroyed"),
    VM_EXITED(   EnumSet.of(RUNNING),                          ERROR,    "failed"),
    HOST_LOST(   EnumSet.of(PENDING, STARTING, RUNNING, PAUSED), ERROR,  "failed"),
    /** No status change: the capsule keeps running (or stays paused) with a template made of it. */
    SNAPSHOT(    EnumSet.of(RUNNING, PAUSED),                  null,     "snapshotted"),
    /** No status change: a new network policy for a running or paused capsule. */
    SET_NETWORK( EnumSet.of(RUNNING, PAUSED),                  null,     "given a new network policy"),
    /** No status change: a paused capsule goes to another host. */
    MOVE(        EnumSet.of(PAUSED),                           null,     "moved"),
    /** No status change: resets the inactivity clock of a running capsule. */
    PING(        EnumSet.of(RUNNING),                          null,     "pinged"),
    /** No status change: exec, files and processes need a running capsule. */
    USE(         EnumSet.of(RUNNING),                          null,     "used");

    private final Set<CapsuleStatus> from;
    private final CapsuleStatus to;
    private final String verb;

    Lifecycle(Set<CapsuleStatus> from, CapsuleStatus to, String verb) {
        this.from = Set.copyOf(from);
        this.to = to;
        this.verb = verb;
    }

    public Set<CapsuleStatus> from() {
        return from;
    }

    /** The status after the move; for SNAPSHOT and USE the status the capsule already has. */
    public CapsuleStatus to(CapsuleStatus current) {
        return to == null ? current : to;
    }

    public boolean allows(CapsuleStatus current) {
        return from.contains(current);
    }

    /** 409 invalid_state naming the capsule, its status and what this move needs. */
    public ApiException refusal(CapsuleRecord c) {
        if (c.operation() != null && allows(c.status())) {
            return ApiException.invalidState("capsule " + c.id() + " is " + c.operation().progressive()
                    + "; try again when that has finished");
        }
        String needed = from.stream().sorted().map(CapsuleStatus::wire).collect(Collectors.joining(" or "));
        String what = this == USE ? "can run commands or use files" : "can be " + verb;
        String is = c.status() == ERROR ? "in error" : c.status().wire();
        return ApiException.invalidState("capsule " + c.id() + " is " + is + "; only " + needed + " capsules " + what);
    }

    /** Throws {@link #refusal} unless the capsule may make this move now. */
    public void check(CapsuleRecord c) {
        if (!allows(c.status()) || c.operation() != null) throw refusal(c);
    }
}
