package dev.wrenn.server.capsule;

import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.TemplateInfo;
import dev.wrenn.server.Clock;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.ops.Metrics;
import dev.wrenn.server.store.CapsuleStore;
import dev.wrenn.server.store.SnapshotStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Snapshot templates (api.md §5): a capsule saved as a template, the listing, the deletion. */
public final class SnapshotService {
    private static final Logger log = LoggerFactory.getLogger(SnapshotService.class);

    /** A template as the API shows it. */
    public record TemplateView(String name, String type, int vcpus, int memoryMb, long sizeBytes, long createdAt,
                               String sourceCapsuleId, boolean builtIn) {}

    public enum Type { BASE, SNAPSHOT }

    private final SnapshotStore store;
    private final CapsuleStore capsules;
    private final CapsuleService capsuleService;
    private final Hosts hosts;
    private final Templates templates;
    private final TemplateTransfer transfer;
    private final Metrics metrics;

    public SnapshotService(SnapshotStore store, CapsuleStore capsules, CapsuleService capsuleService, Hosts hosts,
                           Templates templates, TemplateTransfer transfer, Metrics metrics) {
        this.store = store;
        this.transfer = transfer;
        this.capsules = capsules;
        this.capsuleService = capsuleService;
        this.hosts = hosts;
        this.templates = templates;
        this.metrics = metrics;
    }

    /** Saves a running or paused capsule as the team's template {@code name} (null: a generated name). */
    public TemplateView create(String teamId, String capsuleId, String name, boolean overwrite) {
        String n = name != null ? name : "template-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        Templates.requireValidName(n, "name");
        if (templates.isBuiltIn(n)) {
            throw new ApiException(ErrorCode.NAME_RESERVED, "template name '" + n + "' is reserved for a built-in template");
        }
        if (!overwrite && store.find(teamId, n).isPresent()) {
            throw new ApiException(ErrorCode.TEMPLATE_NAME_TAKEN, "a template named '" + n
                    + "' already exists; pass ?overwrite=true to replace it");
        }
        CapsuleRecord c = capsuleService.get(teamId, capsuleId);
        Lifecycle.SNAPSHOT.check(c);
        Host host = hosts.of(c.hostId());
        if (!capsules.claim(c.id(), Operation.SNAPSHOT, Lifecycle.SNAPSHOT.from(), Clock.millis())) {
            throw Lifecycle.SNAPSHOT.refusal(capsuleService.get(teamId, capsuleId));
        }
        String hostName = Templates.hostName(teamId, n);
        long t0 = System.nanoTime();
        String outcome = "error";
        TemplateInfo meta;
        try {
            // the database decides whether the team has this template; a host template of the same
            // derived name without a record is a leftover of an interrupted snapshot, replaced here
            meta = host.snapshot(c.id(), hostName, true);
            outcome = "ok";
        } catch (RuntimeException e) {
            throw HostErrors.map(e, "snapshotting capsule " + c.id());
        } finally {
            capsules.release(c.id(), Operation.SNAPSHOT);
            metrics.operation("snapshot", outcome, Duration.ofNanos(System.nanoTime() - t0));
        }
        SnapshotRecord s = new SnapshotRecord(teamId, n, hostName, meta.vcpus(), meta.memoryMb(), meta.sizeBytes(),
                c.id(), Clock.uniqueMillis(), c.hostId());
        List<String> replaced = transfer.holders(hostName);
        store.put(s);
        // the template it replaced, where it was saved or copied to, holds the old files under the same name
        replaced.stream().filter(h -> !h.equals(c.hostId())).forEach(h -> deleteOnHost(h, hostName, n));
        log.atInfo().addKeyValue("capsule", c.id()).addKeyValue("template", n).log("snapshot template saved");
        return view(s);
    }

    /** Built-in templates and the team's, newest first; {@code type} null = both. */
    public List<TemplateView> list(String teamId, Type type) {
        List<TemplateView> all = new ArrayList<>();
        if (type != Type.SNAPSHOT) {
            hosts.any().ifPresent(h -> h.templates().stream().filter(TemplateInfo::builtIn).map(SnapshotService::view)
                    .forEach(all::add));
        }
        if (type != Type.BASE) store.list(teamId).stream().map(SnapshotService::view).forEach(all::add);
        all.sort(Comparator.comparingLong(TemplateView::createdAt).reversed().thenComparing(TemplateView::name));
        return all;
    }

    public void delete(String teamId, String name) {
        Templates.requireValidName(name, "template");
        if (templates.isBuiltIn(name)) {
            throw new ApiException(ErrorCode.FORBIDDEN, "template '" + name + "' is built in and cannot be deleted");
        }
        SnapshotRecord s = store.find(teamId, name)
                .orElseThrow(() -> ApiException.notFound("template '" + name + "' does not exist"));
        List<String> holders = transfer.holders(s.hostName());
        // the record goes first: a crash after it leaves orphans that recovery removes, never a dangling record
        store.delete(teamId, name);
        holders.forEach(h -> deleteOnHost(h, s.hostName(), name));
        log.atInfo().addKeyValue("team", teamId).addKeyValue("template", name).log("snapshot template deleted");
    }

    /**
     * Deletes a template's files on one host; capsules made of it keep theirs. A host that cannot be
     * reached now is left with an orphan, which recovery removes when it registers again.
     */
    private void deleteOnHost(String hostId, String hostName, String name) {
        try {
            hosts.of(hostId).deleteTemplate(hostName);
        } catch (HostException e) {
            if (e.error() != HostError.NOT_FOUND) {
                log.atWarn().addKeyValue("template", name).addKeyValue("host", hostId)
                        .log("template record deleted but host files remain: {}", e.getMessage());
            }
        } catch (RuntimeException e) {
            log.atWarn().addKeyValue("template", name).addKeyValue("host", hostId)
                    .log("template record deleted but host files remain: {}", e.getMessage());
        }
    }

    private static TemplateView view(SnapshotRecord s) {
        return new TemplateView(s.name(), "snapshot", s.vcpus(), s.memoryMb(), s.sizeBytes(), s.createdAt(),
                s.sourceCapsuleId(), false);
    }

    private static TemplateView view(TemplateInfo t) {
        return new TemplateView(t.name(), "base", t.vcpus(), t.memoryMb(), t.sizeBytes(), t.createdAt().toEpochMilli(),
                null, true);
    }
}
