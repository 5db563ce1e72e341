package dev.wrenn.host.storage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What the host agent keeps of a capsule in {@code capsules/ID/capsule.json}: enough to find its
 * VM again after a restart, or to resume it from its pause files.
 *
 * @param layers       disk chain, bottom first; the last one is the capsule's own writable layer
 * @param memoryFromTemplate whether RAM is still the template's file mapped copy-on-write (until the first pause)
 */
public record CapsuleMeta(String id, String template, int vcpus, int memoryMb, List<String> layers,
                          boolean memoryFromTemplate, String hostname, Instant createdAt, Phase phase,
                          String exitReason) {
    public static final String FILE = "capsule.json";
    public static final String STATE = "state";
    public static final String TEMPLATE_MEMORY = "template.ram";
    public static final String TEMPLATE_STATE = "template.state";

    public enum Phase { RUNNING, PAUSED, EXITED }

    public CapsuleMeta {
        layers = List.copyOf(layers);
    }

    public String topLayer() {
        return layers.get(layers.size() - 1);
    }

    public CapsuleMeta withPhase(Phase p, String reason) {
        return new CapsuleMeta(id, template, vcpus, memoryMb, layers, memoryFromTemplate, hostname, createdAt, p, reason);
    }

    public CapsuleMeta paused() {
        return new CapsuleMeta(id, template, vcpus, memoryMb, layers, false, hostname, createdAt, Phase.PAUSED, null);
    }

    public CapsuleMeta withTopLayer(String layer) {
        List<String> chain = new ArrayList<>(layers);
        chain.add(layer);
        return new CapsuleMeta(id, template, vcpus, memoryMb, chain, memoryFromTemplate, hostname, createdAt, phase, exitReason);
    }
}
