package dev.wrenn.server.capsule;

import dev.wrenn.host.api.FileSet;
import dev.wrenn.server.Clock;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.store.SnapshotStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot templates on every host: a capsule of a template placed on a host that lacks it gets a
 * copy there first, from a host that holds it (its own, or a copy) through {@link FileCopier}.
 * Copies are recorded in the database, so deleting the template deletes them all.
 */
public final class TemplateTransfer {
    private static final Logger log = LoggerFactory.getLogger(TemplateTransfer.class);

    private final SnapshotStore store;
    private final Hosts hosts;
    private final FileCopier copier;
    private final Map<String, Object> copying = new ConcurrentHashMap<>();

    public TemplateTransfer(SnapshotStore store, Hosts hosts, FileCopier copier) {
        this.store = store;
        this.hosts = hosts;
        this.copier = copier;
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
            copier.copy(FileSet.template(hostName), source, target);
            if (!store.addCopy(hostName, target, Clock.millis())) {
                log.atInfo().addKeyValue("template", hostName).addKeyValue("host", target)
                        .log("template deleted or replaced while it was copied");
            }
        }
    }
}
