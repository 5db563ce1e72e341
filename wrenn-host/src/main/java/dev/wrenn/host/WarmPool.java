package dev.wrenn.host;

import dev.wrenn.host.net.NetworkSlot;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.vmm.VmmDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Clones of built-in templates restored ahead of time, so that a create only hands one over and
 * tells it its identity. Under TCG a just-restored guest runs its first requests slowly (QEMU
 * translates its code afresh in every new process); a pooled clone has already paid that.
 * Only built-in templates are pooled: a snapshot template's processes would run on before the
 * user gets the clone, while a built-in template holds nothing but the idle guest agent.
 */
final class WarmPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);

    /** Restores clones of a template, ready to use, and lets go of what a discarded one held. */
    interface Restorer {
        Clone restore(String template, Path dir) throws IOException;

        /** Tears down the network a clone's VM was plugged into, once the VM has ended. */
        void unplug(NetworkSlot slot);
    }

    private final Path poolDir;
    private final int size;
    private final Restorer restorer;
    private final Map<String, Deque<Clone>> ready = new HashMap<>();
    private final Set<String> filling = new HashSet<>();
    private boolean closed;

    WarmPool(Path poolDir, int size, Restorer restorer, VmmDriver vmm) throws IOException {
        this.poolDir = poolDir;
        this.size = size;
        this.restorer = restorer;
        // clones of an earlier run were never handed out: nothing of them is worth keeping
        if (Files.isDirectory(poolDir)) {
            try (Stream<Path> old = Files.list(poolDir)) {
                for (Path d : old.toList()) {
                    vmm.killAllIn(d);
                    FileOps.deleteTree(d);
                }
            }
        }
        Files.createDirectories(poolDir);
    }

    /** A ready clone of {@code template}, if one is waiting; the pool refills in the background. */
    synchronized Optional<Clone> take(String template) {
        Deque<Clone> q = ready.get(template);
        Clone c = null;
        while (q != null && !q.isEmpty() && c == null) {
            Clone next = q.poll();
            if (!next.vm().exited().isDone()) c = next;
            else discard(next);
        }
        refill(template);
        return Optional.ofNullable(c);
    }

    /** How many clones of {@code template} are ready now. */
    synchronized int ready(String template) {
        return ready.getOrDefault(template, new ArrayDeque<>()).size();
    }

    /** Starts restoring clones until {@code template} has {@code size} waiting. */
    synchronized void refill(String template) {
        if (closed || size == 0 || filling.contains(template)) return;
        if (ready.getOrDefault(template, new ArrayDeque<>()).size() >= size) return;
        filling.add(template);
        Thread.ofVirtual().name("warm-pool-" + template).start(() -> fill(template));
    }

    /** Drops every waiting clone of a template that changed or went away. */
    synchronized void drain(String template) {
        Deque<Clone> q = ready.remove(template);
        if (q != null) q.forEach(this::discard);
    }

    @Override
    public synchronized void close() {
        closed = true;
        ready.values().forEach(q -> q.forEach(this::discard));
        ready.clear();
    }

    private void fill(String template) {
        try {
            while (true) {
                synchronized (this) {
                    if (closed || ready.getOrDefault(template, new ArrayDeque<>()).size() >= size) return;
                }
                String id = CapsuleIds.random();
                Path dir = poolDir.resolve(id);
                Clone clone;
                try {
                    Files.createDirectory(dir);
                    clone = restorer.restore(template, dir);
                } catch (IOException | RuntimeException e) {
                    FileOps.deleteTree(dir);
                    log.atWarn().addKeyValue("template", template).log("warm clone failed: {}", e.getMessage());
                    return;
                }
                synchronized (this) {
                    if (closed) {
                        discard(clone);
                        return;
                    }
                    ready.computeIfAbsent(template, k -> new ArrayDeque<>()).add(clone);
                }
                log.atDebug().addKeyValue("template", template).log("warm clone ready");
            }
        } finally {
            synchronized (this) {
                filling.remove(template);
            }
        }
    }

    private void discard(Clone c) {
        c.guest().close();
        c.vm().kill();
        restorer.unplug(c.slot());
        FileOps.deleteTree(c.dir());
    }

}
