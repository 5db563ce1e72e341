package dev.wrenn.server.auth;

import dev.wrenn.server.Ids;
import dev.wrenn.server.error.ApiException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests per second per API key or signed-in user (api.md §1: 429 with Retry-After), as a token bucket that holds
 * one second's worth of requests as burst. A rate of 0 turns it off.
 */
public final class RateLimiter {
    private final double perSecond;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(double perSecond) {
        this.perSecond = perSecond;
    }

    /** Takes one request from the bucket of {@code principal} (a key's or a user's id), or throws 429 telling when the next one fits. */
    public void acquire(String principal) {
        if (perSecond <= 0) return;
        long waitNanos = buckets.computeIfAbsent(principal, k -> new Bucket(perSecond)).take(System.nanoTime(), perSecond);
        if (waitNanos > 0) {
            long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
            throw ApiException.rateLimited((Ids.USER.matches(principal) ? "user " : "API key ") + principal + " made more than " + (long) perSecond
                    + " requests per second; retry in " + seconds + " s", Duration.ofSeconds(seconds));
        }
    }

    private static final class Bucket {
        private double tokens;
        private long last = System.nanoTime();

        Bucket(double capacity) {
            this.tokens = capacity;
        }

        /** 0 when a token was taken, else nanoseconds until one will be there. */
        synchronized long take(long now, double perSecond) {
            tokens = Math.min(perSecond, tokens + (now - last) / 1e9 * perSecond);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) ((1 - tokens) / perSecond * 1e9);
        }
    }
}
