package dev.wrenn.sdk;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Configures a {@link WrennClient} or {@link AsyncWrennClient}; get one from
 * {@link WrennClient#builder()} or {@link AsyncWrennClient#builder()}.
 *
 * <pre>{@code
 * WrennClient client = WrennClient.builder()
 *         .apiKey("wrn_...").baseUrl("https://wrenn.example.com/api")
 *         .requestTimeout(Duration.ofSeconds(10)).maxRetries(5).build();
 * }</pre>
 *
 * @param <T> the client type it builds
 */
public final class ClientBuilder<T> {
    private final Function<Settings, T> factory;
    private UnaryOperator<String> env = System::getenv;
    private String apiKey;
    private String baseUrl;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration requestTimeout = Duration.ofSeconds(30);
    private Duration longOperationTimeout = Duration.ofMinutes(5);
    private int maxRetries = 3;
    private Duration retryInitialDelay = Duration.ofMillis(250);
    private Duration retryMaxDelay = Duration.ofSeconds(8);
    private Executor executor;

    ClientBuilder(Function<Settings, T> factory) {
        this.factory = factory;
    }

    /** Where unset key and URL are read from: the process environment, or a map in tests. */
    ClientBuilder<T> environment(UnaryOperator<String> env) {
        this.env = env;
        return this;
    }

    /**
     * Sets the API key.
     *
     * @param apiKey the API key ({@code wrn_...}); default: the {@code WRENN_API_KEY} environment variable
     * @return this builder
     */
    public ClientBuilder<T> apiKey(String apiKey) {
        this.apiKey = apiKey;
        return this;
    }

    /**
     * Sets the server's base URL.
     *
     * @param baseUrl the API's base URL, e.g. {@code https://wrenn.example.com/api}; default: the
     *                {@code WRENN_BASE_URL} environment variable, else {@code http://localhost:8080/api}
     * @return this builder
     */
    public ClientBuilder<T> baseUrl(String baseUrl) {
        this.baseUrl = baseUrl;
        return this;
    }

    /**
     * Sets the TCP connect timeout.
     *
     * @param timeout how long to wait for a TCP connection (default 10 s)
     * @return this builder
     */
    public ClientBuilder<T> connectTimeout(Duration timeout) {
        this.connectTimeout = timeout;
        return this;
    }

    /**
     * Sets the timeout of ordinary calls.
     *
     * @param timeout how long a call may take in all, retries included (default 30 s); long operations
     *                use {@link #longOperationTimeout(Duration)} instead, and a command the time it may run
     *                plus this
     * @return this builder
     */
    public ClientBuilder<T> requestTimeout(Duration timeout) {
        this.requestTimeout = timeout;
        return this;
    }

    /**
     * Sets the timeout of long operations.
     *
     * @param timeout how long pause, resume, destroy, snapshot, file transfers and a create that waits
     *                for {@code running} may take (default 5 min)
     * @return this builder
     */
    public ClientBuilder<T> longOperationTimeout(Duration timeout) {
        this.longOperationTimeout = timeout;
        return this;
    }

    /**
     * Sets how often idempotent calls are retried.
     *
     * @param maxRetries how many times an idempotent call (GET, DELETE, ping, file read and list) is
     *                   retried after a 429, 502, 503 or connection failure (default 3; 0 disables retries);
     *                   a call that timed out is not retried
     * @return this builder
     */
    public ClientBuilder<T> maxRetries(int maxRetries) {
        this.maxRetries = maxRetries;
        return this;
    }

    /**
     * Sets the backoff between retries.
     *
     * @param initial the delay before the first retry (default 250 ms); it doubles each retry, with jitter
     * @param max the longest delay between two attempts (default 8 s); a longer {@code Retry-After} is honoured
     *            as long as the call's timeout allows it
     * @return this builder
     */
    public ClientBuilder<T> retryDelays(Duration initial, Duration max) {
        this.retryInitialDelay = initial;
        this.retryMaxDelay = max;
        return this;
    }

    /**
     * Sets the executor for HTTP work and future completion.
     *
     * @param executor runs the HTTP client's work and completes async calls' futures (default: the JDK
     *                 HTTP client's own pool)
     * @return this builder
     */
    public ClientBuilder<T> executor(Executor executor) {
        this.executor = executor;
        return this;
    }

    /**
     * {@return the client}
     * @throws IllegalArgumentException when no API key is given or set in {@code WRENN_API_KEY}, or a
     *                                  setting is out of range (the message names it)
     */
    public T build() {
        return factory.apply(settings());
    }

    /** Builds with the settings given; how {@link WrennClient#builder()} reuses the async client's. */
    T build(Settings settings) {
        return factory.apply(settings);
    }

    Settings settings() {
        return new Settings(Settings.apiKeyOrEnv(apiKey, env), Settings.baseUrlOrEnv(baseUrl, env),
                connectTimeout, requestTimeout, longOperationTimeout, maxRetries, retryInitialDelay, retryMaxDelay,
                executor);
    }
}
