package dev.wrenn.server.auth;

import dev.wrenn.server.Clock;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.store.ApiKeyStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns an {@code X-API-Key} into a {@link Caller}. Keys are looked up by their SHA-256; answers
 * are cached for a few seconds (revocation through this server drops the entry at once; another
 * control plane's revocation takes effect within the cache time).
 */
public final class Authenticator {
    private static final long CACHE_MS = 5_000;
    private static final long MARK_USED_EVERY_MS = 60_000;

    private record Entry(ApiKey key, long loadedAt) {}

    private final ApiKeyStore keys;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, Long> lastMarked = new ConcurrentHashMap<>();

    public Authenticator(ApiKeyStore keys) {
        this.keys = keys;
    }

    public Caller authenticate(String header) {
        if (header == null || header.isBlank()) throw unauthorized("missing X-API-Key header");
        String key = header.strip();
        if (!KeySecrets.wellFormed(key)) throw unauthorized("invalid API key: expected wrn_ and 32 lowercase hex digits");
        String hash = KeySecrets.hash(key);
        long now = Clock.millis();
        Entry e = cache.get(hash);
        if (e == null || now - e.loadedAt() > CACHE_MS) {
            Optional<ApiKey> found = keys.findActiveByHash(hash);
            if (found.isEmpty()) {
                cache.remove(hash);
                throw unauthorized("unknown or revoked API key " + KeySecrets.prefix(key) + "…");
            }
            e = new Entry(found.get(), now);
            cache.put(hash, e);
        }
        if (!KeySecrets.sameHash(hash, e.key().keyHash())) throw unauthorized("unknown or revoked API key");
        markUsed(e.key().id(), now);
        return new Caller(e.key().id(), e.key().teamId());
    }

    void forget(String hash) {
        cache.remove(hash);
    }

    /** last_used_at is shown with minute-ish freshness; writing it on every request would cost a write per read. */
    private void markUsed(String keyId, long now) {
        Long last = lastMarked.get(keyId);
        if (last == null || now - last >= MARK_USED_EVERY_MS) {
            lastMarked.put(keyId, now);
            keys.markUsed(keyId, now);
        }
    }

    private static ApiException unauthorized(String message) {
        return new ApiException(ErrorCode.UNAUTHORIZED, message);
    }
}
