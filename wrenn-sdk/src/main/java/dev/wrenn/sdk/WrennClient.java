package dev.wrenn.sdk;

import java.time.Duration;

/**
 * The blocking Wrenn client: each call returns when the server has answered. Thread-safe; holds one
 * connection pool, so create one per application (or use try-with-resources) and close it when done.
 *
 * <pre>{@code
 * try (WrennClient client = new WrennClient("wrn_...")) {
 *     CapsuleInfo capsule = client.capsules().create(CreateCapsuleParams.builder().template("minimal").build());
 *     System.out.println(capsule.id());
 * }
 * }</pre>
 *
 * <p>It is the blocking face of {@link AsyncWrennClient}: same operations, same names.
 */
public final class WrennClient implements AutoCloseable {
    private final AsyncWrennClient async;
    private final Capsules capsules;
    private final Snapshots snapshots;

    /**
     * A client with the key in {@code WRENN_API_KEY} and the URL in {@code WRENN_BASE_URL}
     * (default {@code http://localhost:8080/api}).
     *
     * @throws IllegalArgumentException when {@code WRENN_API_KEY} is not set
     */
    public WrennClient() {
        this(new AsyncWrennClient());
    }

    /**
     * A client with the given key.
     *
     * @param apiKey the API key; the URL comes from {@code WRENN_BASE_URL} or the default
     */
    public WrennClient(String apiKey) {
        this(new AsyncWrennClient(apiKey));
    }

    /**
     * A client with the given key, for the server at {@code baseUrl}.
     *
     * @param apiKey the API key
     * @param baseUrl the API's base URL, e.g. {@code https://wrenn.example.com/api}
     */
    public WrennClient(String apiKey, String baseUrl) {
        this(new AsyncWrennClient(apiKey, baseUrl));
    }

    private WrennClient(AsyncWrennClient async) {
        this.async = async;
        this.capsules = new Capsules(async.capsules());
        this.snapshots = new Snapshots(async.snapshots());
    }

    /** {@return a builder for the key, URL, timeouts, retries and executor} */
    public static ClientBuilder<WrennClient> builder() {
        return new ClientBuilder<>(s -> new WrennClient(AsyncWrennClient.builder().build(s)));
    }

    /** {@return the capsule operations: create, get, list, pause, resume, ping, destroy} */
    public Capsules capsules() {
        return capsules;
    }

    /** {@return the snapshot-template operations: create, list, delete} */
    public Snapshots snapshots() {
        return snapshots;
    }

    /**
     * A view of this client whose every call has {@code timeout} in all (retries included), sharing this
     * client's connection pool. Closing the view does nothing; closing this client ends both.
     *
     * @param timeout the limit for each call made through the view
     * @return the view
     */
    public WrennClient withTimeout(Duration timeout) {
        return new WrennClient(async.withTimeout(timeout));
    }

    /** {@return the async client this one blocks on; they share the connection pool} */
    public AsyncWrennClient async() {
        return async;
    }

    Api api() {
        return async.api();
    }

    /**
     * Closes the client without waiting: it takes no new calls, calls in flight run to their end, and
     * then its connections and threads are released.
     */
    @Override
    public void close() {
        async.close();
    }
}
