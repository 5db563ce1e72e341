package dev.wrenn.server;

import dev.wrenn.host.api.Host;
import dev.wrenn.server.api.HttpApi;
import dev.wrenn.server.auth.Access;
import dev.wrenn.server.auth.Accounts;
import dev.wrenn.server.auth.Authenticator;
import dev.wrenn.server.auth.KeyService;
import dev.wrenn.server.auth.Sessions;
import dev.wrenn.server.capsule.ActivityTracker;
import dev.wrenn.server.capsule.Capacity;
import dev.wrenn.server.capsule.MemoryPressure;
import dev.wrenn.server.capsule.CapsuleService;
import dev.wrenn.server.capsule.GuestService;
import dev.wrenn.server.capsule.CapsuleMover;
import dev.wrenn.server.capsule.FileCopier;
import dev.wrenn.server.capsule.Housekeeper;
import dev.wrenn.server.capsule.OrphanedOperations;
import dev.wrenn.server.capsule.TemplateTransfer;
import dev.wrenn.server.cluster.ControlPlane;
import dev.wrenn.server.store.ControlPlaneStore;
import dev.wrenn.server.store.HostLocks;
import dev.wrenn.server.capsule.Recovery;
import dev.wrenn.server.capsule.SnapshotService;
import dev.wrenn.server.capsule.Templates;
import dev.wrenn.server.hosts.HostRegistry;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.ops.Metrics;
import dev.wrenn.server.proxy.PortProxy;
import dev.wrenn.server.store.ApiKeyStore;
import dev.wrenn.server.store.CapsuleStore;
import dev.wrenn.server.store.Database;
import dev.wrenn.server.store.HostStore;
import dev.wrenn.server.store.SnapshotStore;
import dev.wrenn.server.store.SessionStore;
import dev.wrenn.server.store.TeamStore;
import dev.wrenn.server.store.UserStore;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One control plane with its embedded host agent: database, capsule lifecycle, HTTP API and the
 * background work. {@link #start} recovers every capsule before the API answers; {@link #close}
 * lets in-flight work finish and leaves the capsules as they are (VMs keep running).
 */
public final class WrennServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WrennServer.class);
    private static final int RECONCILE_ATTEMPTS = 4;

    private final ServerConfig config;
    private final Database db;
    private final Host host;
    private final KeyService keys;
    private final Accounts accounts;
    private final HostRegistry registry;
    private final Hosts hosts;
    private final HttpApi http;
    private final Housekeeper housekeeper;
    private final ControlPlane controlPlane;
    private final OperationTracker tracker;
    private final String firstKey;
    private final CompletableFuture<Void> templatesReady = new CompletableFuture<>();

    private WrennServer(ServerConfig config, Database db, Host host, KeyService keys, Accounts accounts, HostRegistry registry,
                        Hosts hosts,
                        HttpApi http,
                        Housekeeper housekeeper, ControlPlane controlPlane, OperationTracker tracker, String firstKey) {
        this.config = config;
        this.db = db;
        this.host = host;
        this.keys = keys;
        this.accounts = accounts;
        this.registry = registry;
        this.hosts = hosts;
        this.http = http;
        this.housekeeper = housekeeper;
        this.controlPlane = controlPlane;
        this.tracker = tracker;
        this.firstKey = firstKey;
    }

    /**
     * Starts a control plane over {@code host} (the embedded default: the in-process host agent on
     * the same data dir) and the host agents registered on other machines. The server owns the host
     * from here: closing the server closes it. {@code host} null: a control plane of registered
     * hosts only (a machine without KVM, one of several control planes).
     */
    public static WrennServer start(ServerConfig config, Host host) throws IOException {
        Database db = null;
        try {
            Files.createDirectories(config.dataDir());
            db = Database.open(config.databaseUrl(), config.sqliteFile());
            return assemble(config, db, host);
        } catch (IOException | RuntimeException e) {
            if (host != null) host.close();
            if (db != null) db.close();
            throw e;
        }
    }

    private static WrennServer assemble(ServerConfig config, Database db, Host host) throws IOException {
        ControlPlane controlPlane = new ControlPlane(new ControlPlaneStore(db.dataSource()), config.hostSilentAfter());
        CapsuleStore capsuleStore = new CapsuleStore(db.dataSource(), db.kind() == Database.Kind.SQLITE, controlPlane.id());
        SnapshotStore snapshotStore = new SnapshotStore(db.dataSource());
        ApiKeyStore keyStore = new ApiKeyStore(db.dataSource());
        Authenticator auth = new Authenticator(keyStore);
        KeyService keys = new KeyService(new TeamStore(db.dataSource()), keyStore, auth);
        Accounts accounts = new Accounts(new UserStore(db.dataSource()), keys);
        Access access = new Access(auth, keys, accounts, new Sessions(new SessionStore(db.dataSource()), keyStore));
        OperationTracker tracker = new OperationTracker();
        ActivityTracker activity = new ActivityTracker(capsuleStore);
        String hostId = host == null ? null : HostIdentity.of(config.dataDir());
        HostRegistry registry = new HostRegistry(new HostStore(db.dataSource()), capsuleStore);
        Hosts hosts = new Hosts(hostId, host, registry);
        Capacity capacity = new Capacity(capsuleStore, hosts,
                new HostLocks(db.dataSource(), db.kind() == Database.Kind.POSTGRESQL), config);
        Metrics metrics = new Metrics(capsuleStore, () -> host == null ? null : host.capacity(), capacity, hostId);
        Templates templates = new Templates(snapshotStore, hosts::builtInTemplates);
        FileCopier copier = new FileCopier(hosts);
        TemplateTransfer transfer = new TemplateTransfer(snapshotStore, hosts, copier);
        CapsuleService capsules = new CapsuleService(capsuleStore, hosts, templates, transfer, capacity, activity, metrics,
                tracker);
        Runnable relieveMemory = () -> { };
        if (host != null) {
            MemoryPressure pressure = new MemoryPressure(capsuleStore, hostId, host, capacity, capsules, activity, metrics,
                    config.pressureMinIdle());
            capacity.makeRoomWith(pressure::relieve);
            relieveMemory = pressure::check;
        }
        GuestService guest = new GuestService(capsules, hosts, activity, metrics);
        SnapshotService snapshots = new SnapshotService(snapshotStore, capsuleStore, capsules, hosts, templates, transfer,
                metrics);

        if (host != null) new Recovery(capsuleStore, snapshotStore, host, hostId, capsules::bootAgain).run();
        String firstKey = keys.bootstrap().map(KeyService.NewKey::secret).orElse(null);
        registry.onJoin(h -> {
            hosts.reconnect(h.id());
            tracker.spawn("reconcile-" + h.id(), () -> reconcile(new Recovery(capsuleStore, snapshotStore, hosts.of(h.id()), h.id(),
                    capsules::bootAgain), h.id()));
        });
        PortProxy portProxy = new PortProxy(capsules, hosts, activity, config.proxyResponseTimeout());
        HttpApi http = new HttpApi(config, access, capsules, guest, snapshots, metrics, tracker, hosts, capacity, portProxy,
                registry).start();
        OrphanedOperations orphans = new OrphanedOperations(capsuleStore, hosts, controlPlane,
                on -> new Recovery(capsuleStore, snapshotStore, hosts.of(on), on, capsules::bootAgain));
        Runnable sharedWork = () -> {
            registry.markSilent(config.hostSilentAfter());
            orphans.adopt();
        };
        CapsuleMover mover = new CapsuleMover(capsuleStore, hosts, capacity, copier, metrics);
        Housekeeper housekeeper = new Housekeeper(controlPlane, capsuleStore, hosts, capsules, mover, relieveMemory, tracker,
                config.autoPauseInterval(), config.stoppedRetention(), sharedWork);
        housekeeper.start();
        WrennServer server = new WrennServer(config, db, host, keys, accounts, registry, hosts, http, housekeeper, controlPlane, tracker,
                firstKey);
        if (config.prepareTemplates() && host != null) server.prepareTemplates();
        else server.templatesReady.complete(null);
        log.atInfo().addKeyValue("url", server.url()).addKeyValue("database", db.description())
                .addKeyValue("accelerator", host == null ? "none: registered hosts only" : host.info().accelerator())
                .log("wrenn server listening");
        return server;
    }

    /** Reconciles a host that registered; its agent may take a moment to answer (it registers as it starts listening). */
    private static void reconcile(Recovery recovery, String hostId) {
        for (int attempt = 1; ; attempt++) {
            try {
                recovery.reconcile();
                return;
            } catch (RuntimeException e) {
                if (attempt >= RECONCILE_ATTEMPTS) {
                    log.atWarn().addKeyValue("host", hostId).log("could not reconcile the host's capsules: {}", e.getMessage());
                    return;
                }
                try {
                    Thread.sleep(Duration.ofSeconds(attempt));
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Boots the built-in templates once (minutes on a fresh machine: the images are built first). */
    private void prepareTemplates() {
        Thread.ofPlatform().name("prepare-templates").daemon().start(() -> {
            try {
                for (String t : host.builtInTemplates()) {
                    long t0 = System.nanoTime();
                    log.atInfo().addKeyValue("template", t).log("preparing built-in template");
                    host.prepareBuiltIn(t);
                    log.atInfo().addKeyValue("template", t)
                            .addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000).log("built-in template ready");
                }
                templatesReady.complete(null);
            } catch (RuntimeException | Error e) {
                log.atError().setCause(e).log("could not prepare the built-in templates; creates will retry on demand");
                templatesReady.completeExceptionally(e);
            }
        });
    }

    /** Waits until the built-in templates are booted and saved (for tests and benchmarks). */
    public void awaitTemplates(Duration timeout) throws TimeoutException {
        try {
            templatesReady.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("built-in templates could not be prepared", e.getCause());
        }
    }

    /** The first API key of a fresh installation (shown once), if this start created it. */
    public Optional<String> firstKey() {
        return Optional.ofNullable(firstKey);
    }

    /** The base URL clients use: {@code http://HOST:PORT/api}. */
    public String url() {
        String h = config.bindHost().equals("0.0.0.0") || config.bindHost().equals("::") ? "localhost" : config.bindHost();
        return "http://" + h + ":" + http.port() + "/api";
    }

    /** Where people sign in to the dashboard: {@code http://HOST:PORT/}. */
    public String dashboardUrl() {
        return url().substring(0, url().length() - "api".length());
    }

    public int port() {
        return http.port();
    }

    public KeyService keys() {
        return keys;
    }

    /** Users of the dashboard. */
    public Accounts accounts() {
        return accounts;
    }

    /** Host agents on other machines. */
    public HostRegistry hosts() {
        return registry;
    }

    public Host host() {
        return host;
    }

    public List<HttpApi.Route> routes() {
        return http.routes();
    }

    /** Stops taking requests, lets in-flight operations finish, then lets go of the VMs (they keep running). */
    @Override
    public void close() {
        log.info("wrenn server stopping");
        housekeeper.close();
        if (!tracker.drain(config.shutdownGrace())) {
            log.atWarn().addKeyValue("in_flight", tracker.running())
                    .log("operations still running at shutdown; the next start will settle them");
        }
        http.close();
        controlPlane.close();
        hosts.close();
        if (host != null) host.close();
        db.close();
        log.info("wrenn server stopped");
    }
}
