package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Sends {@link Call}s: one pooled HTTP client, the API key on every request, a deadline per call,
 * retries of idempotent calls with exponential backoff and jitter, and failures as WrennExceptions.
 * Never blocks a thread: waits between retries are scheduled, not slept.
 */
final class Transport implements AutoCloseable {
    static final String USER_AGENT = "wrenn-java/" + Version.SDK;

    private final Settings settings;
    private final HttpClient http;
    private final Executor executor;

    Transport(Settings settings) {
        this.settings = settings;
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (settings.executor() != null) b.executor(settings.executor());
        this.http = b.build();
        this.executor = settings.executor() != null ? settings.executor() : ForkJoinPool.commonPool();
    }

    Settings settings() {
        return settings;
    }

    /** The body of the call's answer when it is a 2xx; fails with the mapped exception otherwise. */
    CompletableFuture<byte[]> send(Call call) {
        return send(call, BodyHandlers.ofByteArray());
    }

    /**
     * The body of the call's 2xx answer as {@code body} reads it (only a 2xx body is given to it, so it
     * may write a download where it goes); fails with the mapped exception otherwise.
     */
    <T> CompletableFuture<T> send(Call call, BodyHandler<T> body) {
        long deadline = call.timeout() == null ? Long.MAX_VALUE : System.nanoTime() + call.timeout().toNanos();
        return attempt(call, replies(call, body), deadline, 0);
    }

    /** The call's JSON answer read by {@code reader}. */
    <T> CompletableFuture<T> json(Call call, Function<JsonNode, T> reader) {
        return send(call).thenApply(body -> reader.apply(Json.parseOrMissing(body)));
    }

    /** Completes when the call succeeds; its body is ignored. */
    CompletableFuture<Void> discard(Call call) {
        return send(call).thenApply(body -> null);
    }

    /**
     * Opens a WebSocket to {@code path} with the key in the upgrade's headers. A refused upgrade fails
     * with the exception its HTTP answer maps to, as any call's would.
     */
    CompletableFuture<WebSocket> webSocket(String path, WebSocket.Listener listener) {
        Call upgrade = Call.get(path, settings.connectTimeout());
        URI uri = URI.create(settings.baseUrl().toString().replaceFirst("^http", "ws") + path);
        return http.newWebSocketBuilder()
                .header("X-API-Key", settings.apiKey())
                .header("User-Agent", USER_AGENT)
                .connectTimeout(settings.connectTimeout())
                .buildAsync(uri, listener)
                .exceptionallyCompose(failure -> CompletableFuture.failedFuture(
                        Futures.unwrap(failure) instanceof WebSocketHandshakeException refused
                                ? Errors.fromResponse(upgrade, refused.getResponse().statusCode(), refused.getResponse().headers(),
                                        refused.getResponse().body() instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : null)
                                : Errors.fromTransport(upgrade, settings.baseUrl(), failure)));
    }

    /** A 2xx answer's body read by {@code body}, or the error any other answer maps to. */
    private record Reply<T>(T body, WrennException error) {}

    private static <T> BodyHandler<Reply<T>> replies(Call call, BodyHandler<T> body) {
        return info -> info.statusCode() / 100 == 2
                ? BodySubscribers.mapping(body.apply(info), b -> new Reply<>(b, null))
                : BodySubscribers.mapping(BodySubscribers.ofByteArray(),
                        b -> new Reply<>(null, Errors.fromResponse(call, info.statusCode(), info.headers(), b)));
    }

    private <T> CompletableFuture<T> attempt(Call call, BodyHandler<Reply<T>> replies, long deadline, int attempt) {
        HttpRequest request;
        try {
            request = request(call, deadline);
        } catch (HttpTimeoutException e) {
            return CompletableFuture.failedFuture(Errors.fromTransport(call, settings.baseUrl(), e));
        }
        return http.sendAsync(request, replies)
                .handle((response, failure) -> {
                    if (failure == null && response.body().error() == null) return CompletableFuture.completedFuture(response.body().body());
                    WrennException error = failure == null ? response.body().error()
                            : Errors.fromTransport(call, settings.baseUrl(), failure);
                    Duration delay = retryDelay(call, error, attempt, deadline);
                    if (delay == null) return CompletableFuture.<T>failedFuture(error);
                    return after(delay.toNanos()).thenCompose(ignored -> attempt(call, replies, deadline, attempt + 1));
                })
                .thenCompose(Function.identity());
    }

    /** Completes after {@code nanos}, on the client's executor; no thread waits meanwhile. */
    CompletableFuture<Void> after(long nanos) {
        Executor later = CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS, executor);
        return CompletableFuture.runAsync(() -> {}, later);
    }

    private HttpRequest request(Call call, long deadline) throws HttpTimeoutException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(settings.baseUrl() + call.path()))
                .method(call.method(), call.body() == null ? HttpRequest.BodyPublishers.noBody() : call.body())
                .header("X-API-Key", settings.apiKey())
                .header("User-Agent", USER_AGENT)
                .header("Accept", "application/json");
        if (call.contentType() != null) b.header("Content-Type", call.contentType());
        if (deadline != Long.MAX_VALUE) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new HttpTimeoutException("deadline passed before the attempt");
            b.timeout(Duration.ofNanos(left));
        }
        return b.build();
    }

    /** How long to wait before the next attempt, or null when the error is final. */
    private Duration retryDelay(Call call, WrennException error, int attempt, long deadline) {
        if (!call.idempotent() || attempt >= settings.maxRetries() || !retryable(error)) return null;
        long cap = settings.retryMaxDelay().toNanos();
        long exp = settings.retryInitialDelay().toNanos() << Math.min(attempt, 20);
        long backoff = Math.min(cap, exp < 0 ? cap : exp);
        // full jitter over the upper half: spreads clients that failed together without retrying at once
        long delay = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
        Duration asked = error instanceof WrennRateLimitException r ? r.retryAfter()
                : error instanceof WrennNoCapacityException n ? n.retryAfter() : null;
        if (asked != null) delay = Math.max(delay, asked.toNanos());
        if (deadline != Long.MAX_VALUE && System.nanoTime() + delay >= deadline) return null;
        return Duration.ofNanos(delay);
    }

    private static boolean retryable(WrennException e) {
        return switch (e.statusCode()) {
            case 429, 502, 503 -> true;
            case 0 -> e instanceof WrennConnectionException && e.getCause() instanceof IOException;
            default -> false;
        };
    }

    /** Takes no new calls; those in flight finish on their own. Never waits: a command may run for hours. */
    @Override
    public void close() {
        http.shutdown();
    }
}
