package dev.wrenn.sdk;

import java.time.Duration;

/**
 * The non-blocking Wrenn client: every call returns a {@link java.util.concurrent.CompletableFuture}
 * at once and no thread waits for the server meanwhile. Thread-safe; holds one connection pool, so
 * create one per application and close it when done.
 *
 * <pre>{@code
 * try (AsyncWrennClient client = new AsyncWrennClient()) {
 *     client.capsules().create()
 *           .thenCompose(c -> client.capsules().destroy(c.id()))
 *           .join();
 * }
 * }</pre>
 */
public final class AsyncWrennClient implements AutoCloseable {
    private final Api api;
    private final boolean ownsTransport;
    private final AsyncCapsules capsules;
    private final AsyncSnapshots snapshots;

    /**
     * A client with the key in {@code WRENN_API_KEY} and the URL in {@code WRENN_BASE_URL}
     * (default {@code http://localhost:8080/api}).
     *
     * @throws IllegalArgumentException when {@code WRENN_API_KEY} is not set
     */
    public AsyncWrennClient() {
        this(builder().settings());
    }

    /**
     * A client with the given key.
     *
     * @param apiKey the API key; the URL comes from {@code WRENN_BASE_URL} or the default
     */
    public AsyncWrennClient(String apiKey) {
        this(builder().apiKey(apiKey).settings());
    }

    /**
     * A client with the given key, for the server at {@code baseUrl}.
     *
     * @param apiKey the API key
     * @param baseUrl the API's base URL, e.g. {@code https://wrenn.example.com/api}
     */
    public AsyncWrennClient(String apiKey, String baseUrl) {
        this(builder().apiKey(apiKey).baseUrl(baseUrl).settings());
    }

    private AsyncWrennClient(Settings settings) {
        this(new Api(new Transport(settings), null), true);
    }

    private AsyncWrennClient(Api api, boolean ownsTransport) {
        this.api = api;
        this.ownsTransport = ownsTransport;
        this.capsules = new AsyncCapsules(api);
        this.snapshots = new AsyncSnapshots(api);
    }

    /** {@return a builder for the key, URL, timeouts, retries and executor} */
    public static ClientBuilder<AsyncWrennClient> builder() {
        return new ClientBuilder<>(AsyncWrennClient::new);
    }

    /** {@return the capsule operations: create, get, list, pause, resume, ping, destroy} */
    public AsyncCapsules capsules() {
        return capsules;
    }

    /** {@return the snapshot-template operations: create, list, delete} */
    public AsyncSnapshots snapshots() {
        return snapshots;
    }

    /**
     * A view of this client whose every call has {@code timeout} in all (retries included), sharing this
     * client's connection pool. Closing the view does nothing; closing this client ends both.
     *
     * @param timeout the limit for each call made through the view
     * @return the view
     */
    public AsyncWrennClient withTimeout(Duration timeout) {
        return new AsyncWrennClient(api.withTimeout(timeout), false);
    }

    Api api() {
        return api;
    }

    /**
     * Closes the client without waiting: it takes no new calls, calls in flight run to their end, and
     * then its connections and threads are released.
     */
    @Override
    public void close() {
        if (ownsTransport) api.transport().close();
    }
}
