package dev.wrenn.host;

import dev.wrenn.host.api.Phase;
import dev.wrenn.host.storage.Names;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The capsules this host agent holds, and the rule for taking one's operation lock in the right phase. */
final class CapsuleRegistry {
    private final Map<String, Capsule> capsules = new ConcurrentHashMap<>();

    Optional<Capsule> find(String id) {
        return Optional.ofNullable(capsules.get(Names.capsuleId(id)));
    }

    Capsule get(String id) {
        return find(id).orElseThrow(() -> HostErrors.notFound("capsule " + id + " does not exist"));
    }

    /** Registers a capsule being created; false when the id is taken. */
    boolean add(Capsule c) {
        return capsules.putIfAbsent(c.id, c) == null;
    }

    void put(Capsule c) {
        capsules.put(c.id, c);
    }

    void remove(String id) {
        capsules.remove(id);
    }

    Collection<Capsule> all() {
        return capsules.values();
    }

    void clear() {
        capsules.clear();
    }

    /** The capsule with its lock held, if it is in {@code phase}; INVALID_STATE otherwise. */
    Capsule lock(String id, Phase phase, String op) {
        Capsule c = get(id);
        if (!c.lock.tryLock()) throw HostErrors.invalidState("capsule " + id + " is busy with another operation");
        if (c.meta() == null || c.meta().phase() != phase) {
            Phase actual = c.meta() == null ? null : c.meta().phase();
            c.lock.unlock();
            throw HostErrors.invalidState("capsule " + id + " is " + (actual == null ? "being created" : actual.name().toLowerCase())
                    + "; only " + phase.name().toLowerCase() + " capsules can " + op);
        }
        return c;
    }

    /** A running capsule with its lock held and its VM attached. */
    Capsule lockRunning(String id, String op) {
        Capsule c = lock(id, Phase.RUNNING, op);
        if (c.vm() == null || c.guest() == null) {
            c.lock.unlock();
            throw HostErrors.invalidState("capsule " + id + " has no running VM");
        }
        return c;
    }
}
