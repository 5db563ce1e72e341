package dev.wrenn.host.storage;

import dev.wrenn.host.api.ExitCause;
import dev.wrenn.host.api.Phase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the host agent keeps of a capsule in {@code capsules/ID/capsule.json}: enough to find its
 * VM again after a restart, or to resume it from its pause files.
 *
 * @param layers     disk chain, bottom first; the last one is the capsule's own writable layer
 * @param memory     where guest RAM lived while the capsule last ran, which also fixes the format of its pause state
 * @param exitCause  why an EXITED capsule's VM is gone (null in other phases)
 * @param exitReason what is known of that, for people (null in other phases)
 * @param vmName     the name its VMM process runs under (a warm-pool clone keeps the name it was started with)
 * @param layout     the VMM's device layout it runs with (from its template): its pause state loads only into that
 * @param network    what it may reach (null: the default policy)
 * @param netSlot    the network slot its running VM is plugged into (null: none, e.g. paused)
 * @param frozen     whether its guest's file systems are frozen in the state it is restored from next, so
 *                   the guest needs a THAW after it (states saved before freezing was dropped; null in
 *                   their records, read as true)
 */
public record CapsuleMeta(String id, String template, int vcpus, int memoryMb, List<String> layers,
                          Memory memory, String hostname, Instant createdAt, Phase phase, String exitReason,
                          String vmName, ExitCause exitCause, String layout, StoredPolicy network, Integer netSlot,
                          Boolean frozen) {
    public static final String FILE = "capsule.json";
    public static final String STATE = "state";
    public static final String MEMORY = "memory.ram";
    public static final String TEMPLATE_MEMORY = "template.ram";
    public static final String TEMPLATE_STATE = "template.state";

    /**
     * OWN_FILE: the capsule's own shared RAM file (a copy of its template's, made at its create); a
     * pause writes only device state, and the RAM file is the memory snapshot. TEMPLATE: the
     * template's RAM file mapped copy-on-write, as clones ran before they had a file of their own
     * (records of that time only); a pause then writes all RAM into the state file, and the resume
     * loads it into a new own file.
     */
    public enum Memory {
        TEMPLATE, OWN_FILE;

        /** Whether a pause state saved in this mode carries the RAM (migration without x-ignore-shared). */
        public boolean stateHasRam() {
            return this == TEMPLATE;
        }
    }

    public CapsuleMeta {
        layers = List.copyOf(layers);
        if (vmName == null) vmName = id;
        // records written before the cause was kept say only why in words
        if (phase == Phase.EXITED && exitCause == null) exitCause = ExitCause.HOST_LOST;
        if (layout == null) layout = StoredLayout.BEFORE_LAYOUTS;
        if (frozen == null) frozen = true;
    }

    /** The same capsule under a new id and hostname: a warm clone handed to its user. */
    public CapsuleMeta adoptedAs(String newId, String newTemplate) {
        return new CapsuleMeta(newId, newTemplate, vcpus, memoryMb, layers, memory, newId, Instant.now(), phase,
                exitReason, vmName, exitCause, layout, network, netSlot, frozen);
    }

    /** After a resume the VMM is a new process, started under the capsule's own id, its guest thawed. */
    public CapsuleMeta resumedAs(Memory m) {
        return new CapsuleMeta(id, template, vcpus, memoryMb, layers, m, hostname, createdAt, Phase.RUNNING, null, id, null,
                layout, network, netSlot, false);
    }

    public String topLayer() {
        return layers.get(layers.size() - 1);
    }

    public CapsuleMeta paused() {
        return new CapsuleMeta(id, template, vcpus, memoryMb, layers, memory, hostname, createdAt, Phase.PAUSED, null,
                vmName, null, layout, network, null, frozen);
    }

    /** The VM is gone for good, for {@code cause}; {@code detail} says what is known of it. */
    public CapsuleMeta exited(ExitCause cause, String detail) {
        return new CapsuleMeta(id, template, vcpus, memoryMb, layers, memory, hostname, createdAt, Phase.EXITED, detail,
                vmName, cause, layout, network, null, frozen);
    }

    public CapsuleMeta withTopLayer(String layer) {
        List<String> chain = new ArrayList<>(layers);
        chain.add(layer);
        return new CapsuleMeta(id, template, vcpus, memoryMb, chain, memory, hostname, createdAt, phase, exitReason,
                vmName, exitCause, layout, network, netSlot, frozen);
    }

    public CapsuleMeta withNetwork(StoredPolicy policy) {
        return new CapsuleMeta(id, template, vcpus, memoryMb, layers, memory, hostname, createdAt, phase, exitReason,
                vmName, exitCause, layout, policy, netSlot, frozen);
    }

    /** Plugged into network slot {@code slot} (null: none). */
    public CapsuleMeta withNetSlot(Integer slot) {
        return new CapsuleMeta(id, template, vcpus, memoryMb, layers, memory, hostname, createdAt, phase, exitReason,
                vmName, exitCause, layout, network, slot, frozen);
    }
}
