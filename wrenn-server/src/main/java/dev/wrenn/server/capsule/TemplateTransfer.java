package dev.wrenn.server.capsule;

import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.StoredFile;
import dev.wrenn.server.Clock;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.store.SnapshotStore;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot templates on every host: a capsule of a template placed on a host that lacks it gets a
 * copy there first. The control plane relays the template's files from a host that holds it (its
 * own, or a copy) file by file; the receiving host keeps them by their digest (SHA-256 over their
 * blocks), checks each, and skips what it holds already (a file shared with another template, what
 * a broken transfer got).
 * Copies are recorded in the database, so deleting the template deletes them all.
 */
public final class TemplateTransfer {
    private static final Logger log = LoggerFactory.getLogger(TemplateTransfer.class);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);
    /** A file whose transfer breaks off goes on from where it stopped, this many times. */
    private static final int ATTEMPTS = 3;

    private final SnapshotStore store;
    private final Hosts hosts;
    private final Map<String, Object> copying = new ConcurrentHashMap<>();

    public TemplateTransfer(SnapshotStore store, Hosts hosts) {
        this.store = store;
        this.hosts = hosts;
    }

    /** The hosts holding the template named {@code hostName} on hosts: the one that saved it first, then its copies. */
    public List<String> holders(String hostName) {
        List<String> holders = new ArrayList<>();
        store.findByHostName(hostName).ifPresent(s -> holders.add(s.hostId() != null ? s.hostId() : hosts.localId().orElse(null)));
        holders.addAll(store.copies(hostName));
        holders.remove(null);
        return holders;
    }

    /** Makes sure {@code target} holds snapshot template {@code hostName}, copying it there if not. */
    void ensureOn(String hostName, String target) {
        synchronized (copying.computeIfAbsent(hostName + "@" + target, k -> new Object())) {
            List<String> holders = holders(hostName);
            if (holders.contains(target)) return;
            Set<String> reachable = Set.copyOf(hosts.reachable());
            String source = holders.stream().filter(reachable::contains).findFirst().orElseThrow(() -> ApiException.hostUnavailable(
                    "no host that holds template " + hostName + " is reachable to copy it from (" + holders + ")", null));
            copy(hostName, source, target);
            if (!store.addCopy(hostName, target, Clock.millis())) {
                log.atInfo().addKeyValue("template", hostName).addKeyValue("host", target)
                        .log("template deleted or replaced while it was copied");
            }
        }
    }

    private void copy(String name, String sourceId, String targetId) {
        Host from = hosts.of(sourceId);
        Host to = hosts.of(targetId);
        long t0 = System.nanoTime();
        List<StoredFile> files = from.templateFiles(name);
        Progress progress = new Progress(name, targetId, files.stream().mapToLong(StoredFile::size).sum());
        log.atInfo().addKeyValue("template", name).addKeyValue("from", sourceId).addKeyValue("to", targetId)
                .addKeyValue("files", files.size()).addKeyValue("mib", progress.total >> 20).log("copying template");
        long cached = 0;
        for (StoredFile f : files) {
            long held = to.heldBytes(f);
            cached += held;
            progress.add(held);
            for (int attempt = 1; held < f.size(); attempt++) {
                try (InputStream in = from.openTemplateFile(name, f.name(), held)) {
                    held = to.receive(f, held, new Counted(in, progress));
                } catch (IOException | HostException e) {
                    if (attempt >= ATTEMPTS) {
                        throw e instanceof HostException h ? h : new HostException(HostError.HOST_FAILURE, "copying " + f.name()
                                + " of template " + name + " to host " + targetId + " failed: " + e.getMessage(), e);
                    }
                    log.atWarn().addKeyValue("template", name).addKeyValue("file", f.name()).addKeyValue("attempt", attempt)
                            .log("template file transfer broke off, going on from what arrived: {}", e.getMessage());
                    held = to.heldBytes(f);
                }
            }
        }
        to.installTemplate(name, files);
        log.atInfo().addKeyValue("template", name).addKeyValue("from", sourceId).addKeyValue("to", targetId)
                .addKeyValue("mib_sent", (progress.done - cached) >> 20).addKeyValue("mib_held_before", cached >> 20)
                .addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000).log("template copied");
    }

    /** Logs how far a copy has come, every few seconds. */
    private static final class Progress {
        private final String name;
        private final String target;
        private final long total;
        private long done;
        private long lastLog = System.nanoTime();

        Progress(String name, String target, long total) {
            this.name = name;
            this.target = target;
            this.total = total;
        }

        void add(long bytes) {
            done += bytes;
            long now = System.nanoTime();
            if (now - lastLog >= PROGRESS_EVERY.toNanos()) {
                lastLog = now;
                log.atInfo().addKeyValue("template", name).addKeyValue("to", target).addKeyValue("mib", done >> 20)
                        .addKeyValue("of_mib", total >> 20).log("copying template: {}%", total == 0 ? 100 : done * 100 / total);
            }
        }
    }

    /** A template file on its way, counted into the copy's progress. */
    private static final class Counted extends FilterInputStream {
        private final Progress progress;

        Counted(InputStream in, Progress progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) progress.add(n);
            return n;
        }
    }
}
