package dev.wrenn.sdk;

import java.time.Duration;
import java.util.List;

/** Capsule operations of a {@link WrennClient}; each blocks until the server has answered. */
public final class Capsules {
    private final AsyncCapsules async;

    Capsules(AsyncCapsules async) {
        this.async = async;
    }

    /**
     * Creates a capsule from the {@code minimal} template with the server's defaults.
     *
     * @return the new capsule, usually {@code pending} or {@code starting}; it boots in the background
     */
    public CapsuleInfo create() {
        return Futures.await(async.create());
    }

    /**
     * Creates a capsule; fields left unset in {@code params} take the server's defaults.
     *
     * @param params template, size, auto-pause timeout and metadata
     * @return the new capsule, usually {@code pending} or {@code starting}; it boots in the background
     */
    public CapsuleInfo create(CreateCapsuleParams params) {
        return Futures.await(async.create(params));
    }

    /**
     * Creates a capsule and, with {@code wait}, returns only once it is {@code running}.
     *
     * @param params template, size, auto-pause timeout and metadata
     * @param wait true to return when the capsule runs, throwing {@link WrennCapsuleStateException} if it
     *             ends in {@code error} instead, or {@link WrennTimeoutException} if it is still starting at
     *             the long-operation timeout (it is then destroyed)
     * @return the new capsule
     */
    public CapsuleInfo create(CreateCapsuleParams params, boolean wait) {
        return Futures.await(async.create(params, wait));
    }

    /**
     * Replaces what a running or paused capsule may reach; the whole policy, not a change to the old one.
     *
     * @param id the capsule id
     * @param network the new policy
     * @return the capsule with its new network
     * @throws WrennConflictException unless it is running or paused
     * @throws WrennValidationException naming an entry that is neither a CIDR nor a DNS name
     */
    public CapsuleInfo updateNetwork(String id, NetworkPolicy network) {
        return Futures.await(async.updateNetwork(id, network));
    }

    /**
     * The address of a TCP port of a capsule through the server's port proxy, as
     * {@link Capsule#getUrl(int)} gives it; computed here, without a call to the server.
     *
     * @param id the capsule id
     * @param port the port a service listens on in the capsule, 1 to 65535
     * @return {@code ws://PORT-ID.HOST[:PORT]} for an {@code http} base URL, {@code wss://…} for {@code https}
     * @throws IllegalArgumentException when {@code port} is out of range
     */
    public String getUrl(String id, int port) {
        return Capsule.portUrl(async.baseUrl(), id, port);
    }

    /**
     * Gets one capsule of the team.
     *
     * @param id the capsule id
     * @return the capsule
     * @throws WrennNotFoundException when the team has no such capsule
     */
    public CapsuleInfo get(String id) {
        return Futures.await(async.get(id));
    }

    /** {@return every capsule of the team, in every status, newest first} */
    public List<CapsuleInfo> list() {
        return Futures.await(async.list());
    }

    /**
     * Lists the team's capsules that match a filter.
     *
     * @param filter statuses and metadata pairs to match
     * @return the matching capsules, newest first
     */
    public List<CapsuleInfo> list(CapsuleFilter filter) {
        return Futures.await(async.list(filter));
    }

    /**
     * Pauses a running capsule: memory, devices and disk go to disk and the VM exits.
     *
     * @param id the capsule id
     * @return the capsule, {@code paused}
     * @throws WrennConflictException unless it was running
     */
    public CapsuleInfo pause(String id) {
        return Futures.await(async.pause(id));
    }

    /**
     * Resumes a paused capsule exactly where it was paused.
     *
     * @param id the capsule id
     * @return the capsule, {@code running}
     * @throws WrennConflictException unless it was paused
     */
    public CapsuleInfo resume(String id) {
        return Futures.await(async.resume(id));
    }

    /**
     * Resets the capsule's inactivity timer, so auto-pause counts from now.
     *
     * @param id the capsule id
     * @throws WrennConflictException unless it is running
     */
    public void ping(String id) {
        Futures.await(async.ping(id));
    }

    /**
     * Destroys a capsule for good; destroying a stopped capsule does nothing.
     *
     * @param id the capsule id
     */
    public void destroy(String id) {
        Futures.await(async.destroy(id));
    }

    /**
     * Waits until a capsule is {@code running}.
     *
     * @param id the capsule id
     * @param timeout the longest to wait
     * @return the running capsule
     * @throws WrennTimeoutException when it is still starting after {@code timeout}
     * @throws WrennCapsuleStateException when it is paused, stopped or in error
     */
    public CapsuleInfo waitUntilRunning(String id, Duration timeout) {
        return Futures.await(async.waitUntilRunning(id, timeout));
    }
}
