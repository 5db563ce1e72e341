package dev.wrenn.sdk;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A handle on one capsule: create or connect to it, run commands, move files, open terminals, pause
 * and resume it.
 * Closing the handle destroys the capsule, so try-with-resources gives an ephemeral one:
 *
 * <pre>{@code
 * try (Capsule capsule = Capsule.create()) {
 *     System.out.println(capsule.commands().run("echo hello").stdout());
 * }   // destroyed here
 * }</pre>
 *
 * <p>The static forms without a {@link WrennClient} use one shared client configured from the
 * environment ({@code WRENN_API_KEY}, {@code WRENN_BASE_URL}). A handle is thread-safe.
 */
public final class Capsule implements AutoCloseable {
    private final WrennClient client;
    private final String id;
    private final CapsuleCommands commands;
    private final CapsuleFiles files;
    private final GuestStreams streams;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Capsule(WrennClient client, String id) {
        this.client = client;
        this.id = id;
        GuestCalls guest = new GuestCalls(client.api(), id);
        this.streams = new GuestStreams(client.api(), id, guest);
        this.commands = new CapsuleCommands(guest, streams);
        this.files = new CapsuleFiles(guest);
    }

    /**
     * Creates a capsule from the {@code minimal} template with the server's defaults and waits until it runs.
     *
     * @return the running capsule
     * @throws IllegalArgumentException when {@code WRENN_API_KEY} is not set
     */
    public static Capsule create() {
        return create(CreateCapsuleParams.defaults(), true);
    }

    /**
     * Creates a capsule with the environment's client.
     *
     * @param params template, size, auto-pause timeout and metadata; unset fields take the server's defaults
     * @param wait true to return only once it runs; false to return while it is still pending or starting
     * @return the capsule
     * @throws WrennCapsuleStateException when {@code wait} and it ends in {@code error} (e.g. the boot failed)
     */
    public static Capsule create(CreateCapsuleParams params, boolean wait) {
        return create(DefaultClient.get(), params, wait);
    }

    /**
     * Creates a capsule with the given client.
     *
     * @param client the client to make every call of the handle with
     * @param params template, size, auto-pause timeout and metadata
     * @param wait true to return only once it runs
     * @return the capsule
     */
    public static Capsule create(WrennClient client, CreateCapsuleParams params, boolean wait) {
        return new Capsule(client, client.capsules().create(params, wait).id());
    }

    /**
     * A handle on an existing capsule, made ready to use: a paused capsule is resumed, a starting one
     * awaited.
     *
     * @param id the capsule id
     * @return the running capsule
     * @throws WrennNotFoundException when the team has no such capsule
     * @throws WrennCapsuleStateException when it is stopped or in error
     */
    public static Capsule connect(String id) {
        return connect(DefaultClient.get(), id);
    }

    /**
     * {@link #connect(String)} with the given client.
     *
     * @param client the client to make every call of the handle with
     * @param id the capsule id
     * @return the running capsule
     */
    public static Capsule connect(WrennClient client, String id) {
        Capsule c = new Capsule(client, id);
        CapsuleInfo info = c.getInfo();
        if (info.status() == CapsuleStatus.PAUSED) {
            try {
                client.capsules().resume(id);
            } catch (WrennConflictException racedWithAnotherResume) {
                c.waitUntilRunning(client.api().longOperation());
            }
        } else if (info.status() != CapsuleStatus.RUNNING) {
            c.waitUntilRunning(client.api().longOperation());
        }
        return c;
    }

    /** {@return every capsule of the team (the environment's client), newest first} */
    public static List<CapsuleInfo> list() {
        return DefaultClient.get().capsules().list();
    }

    /**
     * Gets one capsule of the team, with the environment's client.
     *
     * @param id the capsule id
     * @return the capsule's current state (the environment's client)
     */
    public static CapsuleInfo getInfo(String id) {
        return DefaultClient.get().capsules().get(id);
    }

    /** {@return the capsule id, {@code cl-...}} */
    public String id() {
        return id;
    }

    /** {@return the capsule's current state, fetched now} */
    public CapsuleInfo getInfo() {
        return client.capsules().get(id);
    }

    /** {@return the capsule's current status, fetched now} */
    public CapsuleStatus status() {
        return getInfo().status();
    }

    /**
     * Pauses the capsule: memory, devices and disk go to disk and its VM exits; nothing is lost.
     *
     * @return the capsule, {@code paused}
     * @throws WrennConflictException unless it is running
     */
    public CapsuleInfo pause() {
        return client.capsules().pause(id);
    }

    /**
     * Resumes the paused capsule exactly where it was paused.
     *
     * @return the capsule, {@code running}
     * @throws WrennConflictException unless it is paused
     */
    public CapsuleInfo resume() {
        return client.capsules().resume(id);
    }

    /**
     * Replaces what the capsule may reach; the whole policy, not a change to the old one.
     *
     * @param network the new policy
     * @return the capsule with its new network
     * @throws WrennConflictException unless it is running or paused
     */
    public CapsuleInfo updateNetwork(NetworkPolicy network) {
        return client.capsules().updateNetwork(id, network);
    }

    /**
     * The address of a TCP port of the capsule through the server's port proxy, in the form the
     * Python SDK's {@code get_url} gives: {@code ws://PORT-ID.HOST[:PORT]} for an {@code http} base
     * URL, {@code wss://…} for {@code https} (for plain HTTP use the same host with {@code http://}).
     * HOST is the base URL's host: on one machine {@code ws://8000-cl-….localhost:8080}. A token
     * capsule's requests also need {@link CapsuleInfo#trafficToken()}.
     *
     * @param port the port a service listens on in the capsule, 1 to 65535
     * @return the URL, without a path
     * @throws IllegalArgumentException when {@code port} is out of range
     */
    public String getUrl(int port) {
        return client.capsules().getUrl(id, port);
    }

    static String portUrl(URI base, String id, int port) {
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " is not within 1..65535");
        String scheme = "https".equalsIgnoreCase(base.getScheme()) ? "wss" : "ws";
        String authority = base.getPort() < 0 ? base.getHost() : base.getHost() + ":" + base.getPort();
        return scheme + "://" + port + "-" + id + "." + authority;
    }

    /** Resets the inactivity timer, so auto-pause counts from now. */
    public void ping() {
        client.capsules().ping(id);
    }

    /** Destroys the capsule for good; calling it again does nothing. */
    public void destroy() {
        client.capsules().destroy(id);
        closed.set(true);
    }

    /**
     * Waits until the capsule is {@code running}.
     *
     * @param timeout the longest to wait
     * @return the capsule once it is {@code running}
     * @throws WrennTimeoutException when it is still starting after {@code timeout}
     * @throws WrennCapsuleStateException when it is paused, stopped or in error
     */
    public CapsuleInfo waitUntilRunning(Duration timeout) {
        return client.capsules().waitUntilRunning(id, timeout);
    }

    /** {@return the commands of this capsule: run, run in background, list, kill} */
    public CapsuleCommands commands() {
        return commands;
    }

    /** {@return the files of this capsule: write, read, list, make directories, remove} */
    public CapsuleFiles files() {
        return files;
    }

    /**
     * Opens a terminal, or attaches to a running one ({@link PtyOptions#connect(String)}), whose output
     * is read from {@link Terminal#output()}.
     *
     * @param options the program, size, environment and directory of a new terminal, or the tag of one to attach to
     * @return the terminal, once its program runs
     * @throws WrennNotFoundException when attaching to a terminal that does not exist (or has ended)
     * @throws WrennConflictException when the capsule is not running
     */
    public Terminal pty(PtyOptions options) {
        return Futures.await(ptyAsync(options));
    }

    /**
     * Opens a terminal, or attaches to a running one, whose output goes to {@code output}: called with
     * each piece, one at a time on the client's threads; the next piece is asked of the server only when
     * it returns, so a slow callback holds the terminal back.
     *
     * @param options the program, size, environment and directory of a new terminal, or the tag of one to attach to
     * @param output receives the terminal's output (on attach, its last 64 KiB first)
     * @return the terminal, once its program runs
     */
    public Terminal pty(PtyOptions options, Consumer<byte[]> output) {
        return Futures.await(ptyAsync(options, output));
    }

    /**
     * {@link #pty(PtyOptions)}, without waiting.
     *
     * @param options the new terminal, or the tag of one to attach to
     * @return completes with the terminal
     */
    public CompletableFuture<Terminal> ptyAsync(PtyOptions options) {
        return streams.terminal(options, null);
    }

    /**
     * {@link #pty(PtyOptions, Consumer)}, without waiting.
     *
     * @param options the new terminal, or the tag of one to attach to
     * @param output receives the terminal's output
     * @return completes with the terminal
     */
    public CompletableFuture<Terminal> ptyAsync(PtyOptions options, Consumer<byte[]> output) {
        return streams.terminal(options, Objects.requireNonNull(output, "output"));
    }

    /** Destroys the capsule (once; later calls do nothing). */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) client.capsules().destroy(id);
    }

    @Override
    public String toString() {
        return "Capsule[" + id + "]";
    }
}
