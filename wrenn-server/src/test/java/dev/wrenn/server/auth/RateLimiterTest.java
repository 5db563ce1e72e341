package dev.wrenn.server.auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    @Test
    void aKeyGetsOneSecondOfBurstThen429WithRetryAfter() {
        RateLimiter limiter = new RateLimiter(5);
        for (int i = 0; i < 5; i++) limiter.acquire("key-a");
        ApiException e = assertThrows(ApiException.class, () -> limiter.acquire("key-a"));
        assertEquals(ErrorCode.RATE_LIMITED, e.code());
        assertTrue(e.retryAfter().toSeconds() >= 1);
        assertDoesNotThrow(() -> limiter.acquire("key-b"), "each key has its own bucket");
    }

    @Test
    void aRateOfZeroNeverLimits() {
        RateLimiter off = new RateLimiter(0);
        for (int i = 0; i < 10_000; i++) off.acquire("key-a");
    }
}
