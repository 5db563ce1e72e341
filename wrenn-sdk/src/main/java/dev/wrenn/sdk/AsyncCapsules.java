package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Capsule operations of an {@link AsyncWrennClient}: each returns at once with a future that
 * completes with the answer, or exceptionally with a {@link WrennException}.
 */
public final class AsyncCapsules {
    private static final Duration POLL = Duration.ofMillis(200);

    private final Api api;

    AsyncCapsules(Api api) {
        this.api = api;
    }

    /**
     * Creates a capsule from the {@code minimal} template with the server's defaults.
     *
     * @return the new capsule, usually {@code pending} or {@code starting}; it boots in the background
     */
    public CompletableFuture<CapsuleInfo> create() {
        return create(CreateCapsuleParams.defaults(), false);
    }

    /**
     * Creates a capsule; fields left unset in {@code params} take the server's defaults.
     *
     * @param params template, size, auto-pause timeout and metadata
     * @return the new capsule, usually {@code pending} or {@code starting}; it boots in the background
     */
    public CompletableFuture<CapsuleInfo> create(CreateCapsuleParams params) {
        return create(params, false);
    }

    /**
     * Creates a capsule and, with {@code wait}, completes only once it is {@code running}.
     *
     * @param params template, size, auto-pause timeout and metadata
     * @param wait true to complete when the capsule runs (within the long-operation timeout), failing
     *             with {@link WrennCapsuleStateException} if it ends in {@code error} instead, or with
     *             {@link WrennTimeoutException} if it is still starting at the timeout (it is then destroyed)
     * @return the new capsule
     */
    public CompletableFuture<CapsuleInfo> create(CreateCapsuleParams params, boolean wait) {
        ObjectNode body = Json.object();
        if (params.template() != null) body.put("template", params.template());
        if (params.vcpus() != null) body.put("vcpus", params.vcpus());
        if (params.memoryMb() != null) body.put("memory_mb", params.memoryMb());
        if (params.timeoutSec() != null) body.put("timeout_sec", params.timeoutSec());
        if (!params.metadata().isEmpty()) params.metadata().forEach(body.putObject("metadata")::put);
        if (params.network() != null) body.set("network", network(params.network()));
        if (params.portAccess() != null) body.put("port_access", params.portAccess().wire());
        if (params.autoResume() != null) body.put("auto_resume", params.autoResume());
        if (!wait) {
            return api.transport().json(Call.post("/v1/capsules", Json.bytes(body), false, api.quick()), Wire::capsule);
        }
        Duration limit = api.longOperation();
        long deadline = System.nanoTime() + limit.toNanos();
        return api.transport().json(Call.post("/v1/capsules?wait=true", Json.bytes(body), false, limit), Wire::capsule)
                .thenCompose(c -> awaitRunning(c, deadline, limit).exceptionallyCompose(e -> destroyIfStillStarting(c, e)));
    }

    /** A capsule the caller waited for in vain would otherwise hold resources under an id nobody was told. */
    private CompletableFuture<CapsuleInfo> destroyIfStillStarting(CapsuleInfo c, Throwable failure) {
        Throwable cause = Futures.unwrap(failure);
        if (!(cause instanceof WrennTimeoutException)) return CompletableFuture.failedFuture(cause);
        return destroy(c.id()).handle((ok, destroyFailed) -> {
            if (destroyFailed != null) cause.addSuppressed(Futures.unwrap(destroyFailed));
            return null;
        }).thenCompose(x -> CompletableFuture.failedFuture(cause));
    }

    /**
     * Replaces what a running or paused capsule may reach; the whole policy, not a change to the old one.
     *
     * @param id the capsule id
     * @param network the new policy
     * @return the capsule with its new network; fails with {@link WrennConflictException} unless it is
     *         running or paused, with {@link WrennValidationException} naming a bad entry
     */
    public CompletableFuture<CapsuleInfo> updateNetwork(String id, NetworkPolicy network) {
        return api.transport().json(Call.put(UrlPath.capsule(id) + "/network", Json.bytes(network(network)), api.quick()),
                Wire::capsule);
    }

    /** The base URL port URLs are made from. */
    URI baseUrl() {
        return api.transport().settings().baseUrl();
    }

    private static ObjectNode network(NetworkPolicy p) {
        ObjectNode n = Json.object();
        n.put("allow_internet", p.allowInternet());
        p.allowOut().forEach(n.putArray("allow_out")::add);
        p.denyOut().forEach(n.putArray("deny_out")::add);
        return n;
    }

    /**
     * Gets one capsule of the team.
     *
     * @param id the capsule id
     * @return the capsule; fails with {@link WrennNotFoundException} when the team has no such capsule
     */
    public CompletableFuture<CapsuleInfo> get(String id) {
        return api.transport().json(Call.get(UrlPath.capsule(id), api.quick()), Wire::capsule);
    }

    /** {@return every capsule of the team, in every status, newest first} */
    public CompletableFuture<List<CapsuleInfo>> list() {
        return list(CapsuleFilter.all());
    }

    /**
     * Lists the team's capsules that match a filter.
     *
     * @param filter statuses and metadata pairs to match
     * @return the matching capsules, newest first
     */
    public CompletableFuture<List<CapsuleInfo>> list(CapsuleFilter filter) {
        return api.transport().json(Call.get("/v1/capsules" + filter.query(), api.quick()),
                n -> Wire.list(n, Wire::capsule, "capsules"));
    }

    /**
     * Pauses a running capsule: its memory, devices and disk are written to disk and the VM exits.
     *
     * @param id the capsule id
     * @return the capsule, {@code paused}; fails with {@link WrennConflictException} unless it was running
     */
    public CompletableFuture<CapsuleInfo> pause(String id) {
        return api.transport().json(Call.post(UrlPath.capsule(id) + "/pause", null, false, api.longOperation()), Wire::capsule);
    }

    /**
     * Resumes a paused capsule exactly where it was paused.
     *
     * @param id the capsule id
     * @return the capsule, {@code running}; fails with {@link WrennConflictException} unless it was paused
     */
    public CompletableFuture<CapsuleInfo> resume(String id) {
        return api.transport().json(Call.post(UrlPath.capsule(id) + "/resume", null, false, api.longOperation()), Wire::capsule);
    }

    /**
     * Resets the capsule's inactivity timer, so auto-pause counts from now.
     *
     * @param id the capsule id
     * @return completes when the server has recorded the activity
     */
    public CompletableFuture<Void> ping(String id) {
        return api.transport().discard(Call.post(UrlPath.capsule(id) + "/ping", null, true, api.quick()));
    }

    /**
     * Destroys a capsule for good: its VM and files are gone, its record stays as {@code stopped}.
     * Destroying a stopped capsule does nothing.
     *
     * @param id the capsule id
     * @return completes when it is destroyed
     */
    public CompletableFuture<Void> destroy(String id) {
        return api.transport().discard(Call.delete(UrlPath.capsule(id), api.longOperation()));
    }

    /**
     * Waits until a capsule is {@code running}.
     *
     * @param id the capsule id
     * @param timeout the longest to wait
     * @return the running capsule; fails with {@link WrennTimeoutException} when it is still starting after
     *         {@code timeout}, or {@link WrennCapsuleStateException} when it is paused, stopped or in error
     */
    public CompletableFuture<CapsuleInfo> waitUntilRunning(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        return get(id).thenCompose(c -> awaitRunning(c, deadline, timeout));
    }

    private CompletableFuture<CapsuleInfo> awaitRunning(CapsuleInfo seen, long deadline, Duration limit) {
        if (seen.status() == CapsuleStatus.RUNNING) return CompletableFuture.completedFuture(seen);
        if (seen.status() == CapsuleStatus.PAUSED || seen.status().isTerminal()) {
            return CompletableFuture.failedFuture(new WrennCapsuleStateException("capsule " + seen.id() + " is "
                    + seen.status() + (seen.statusReason() == null ? "" : " (" + seen.statusReason() + ")")
                    + ", so it will not reach running", seen));
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return CompletableFuture.failedFuture(new WrennTimeoutException("capsule " + seen.id() + " did not reach running within "
                    + Durations.readable(limit) + "; it is still " + seen.status(), null));
        }
        return api.transport().after(Math.min(POLL.toNanos(), left))
                .thenCompose(x -> get(seen.id()))
                .thenCompose(next -> awaitRunning(next, deadline, limit));
    }
}
