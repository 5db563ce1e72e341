package dev.wrenn.server.auth;

import dev.wrenn.server.Clock;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.store.ApiKeyStore;
import dev.wrenn.server.store.SessionStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed-in browsers: a session is opened by a user's password or by an API key, carried by a
 * cookie whose secret is stored only as its SHA-256, and ends when signed out, after
 * {@link #LIFETIME}, or (one opened with a key) when the key is revoked. Lookups are cached for a
 * few seconds, as API keys are: a sign-out through this server ends the session at once, one through
 * another control plane within that time.
 */
public final class Sessions {
    private static final Logger log = LoggerFactory.getLogger(Sessions.class);
    public static final Duration LIFETIME = Duration.ofDays(7);
    private static final long CACHE_MS = 5_000;
    /** Past this many cached sessions, those not looked up lately are dropped (they are read again when used). */
    private static final int MAX_CACHED = 10_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder URL_SAFE = Base64.getUrlEncoder().withoutPadding();

    /** A session just opened: its record and the cookie's secret, which is never stored. */
    public record Opened(String secret, SessionRecord record) {}

    private record Entry(SessionRecord session, long loadedAt) {}

    private final SessionStore store;
    private final ApiKeyStore keys;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    public Sessions(SessionStore store, ApiKeyStore keys) {
        this.store = store;
        this.keys = keys;
    }

    /** A session of {@code user} acting for the team of {@code membership}. */
    public Opened openForUser(User user, Membership membership) {
        return open(membership.team().id(), user.id(), null);
    }

    /** A session acting as the key {@code caller} authenticated with. */
    public Opened openForKey(Caller caller) {
        return open(caller.teamId(), null, caller.principal());
    }

    private Opened open(String teamId, String userId, String keyId) {
        long now = Clock.millis();
        store.deleteExpired(now);
        String secret = random();
        SessionRecord s = new SessionRecord(KeySecrets.hash(secret), teamId, userId, keyId, random(), now,
                now + LIFETIME.toMillis());
        store.insert(s);
        log.atInfo().addKeyValue("team", teamId).addKeyValue("user", userId).addKeyValue("key", keyId).log("signed in");
        return new Opened(secret, s);
    }

    /** The live session whose cookie carries {@code secret}; 401 for anything else. */
    public SessionRecord authenticate(String secret) {
        if (secret == null || secret.isBlank() || secret.length() > 100) throw signedOut();
        String hash = KeySecrets.hash(secret);
        long now = Clock.millis();
        Entry e = cache.get(hash);
        if (e == null || now - e.loadedAt() > CACHE_MS) {
            Optional<SessionRecord> found = store.findLive(hash, now);
            if (found.isEmpty()) {
                cache.remove(hash);
                throw signedOut();
            }
            e = new Entry(found.get(), now);
            if (cache.size() >= MAX_CACHED) cache.values().removeIf(old -> now - old.loadedAt() > CACHE_MS);
            cache.put(hash, e);
        }
        SessionRecord s = e.session();
        // a key's session asks for the key every time: revoking it must end the session at once
        if (s.expiresAt() <= now || (s.keyId() != null && keys.findActive(s.teamId(), s.keyId()).isEmpty())) {
            cache.remove(hash);
            throw signedOut();
        }
        return s;
    }

    /** Ends the session of {@code secret}, if there is one. */
    public void close(String secret) {
        if (secret == null || secret.isBlank() || secret.length() > 100) return;
        String hash = KeySecrets.hash(secret);
        cache.remove(hash);
        store.delete(hash);
    }

    /** Whether {@code token} is the session's CSRF token (compared in constant time). */
    public static boolean csrfMatches(SessionRecord s, String token) {
        return token != null && KeySecrets.sameHash(s.csrfToken(), token);
    }

    private static String random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return URL_SAFE.encodeToString(b);
    }

    private static ApiException signedOut() {
        return new ApiException(ErrorCode.UNAUTHORIZED, "not signed in, or the session ended: sign in again");
    }
}
