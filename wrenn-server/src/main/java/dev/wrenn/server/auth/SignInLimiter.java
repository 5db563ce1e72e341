package dev.wrenn.server.auth;

import dev.wrenn.server.error.ApiException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Failed sign-ins, counted per account and per client address over a window: past the limit, the
 * next attempt is refused with 429 before any password is checked, so guessing a password costs
 * hours, and hashing (which takes memory) cannot be driven by a flood. A success clears the
 * account's failures. Held in memory, at most {@link #MAX_TRACKED} names (the oldest go first).
 */
public final class SignInLimiter {
    static final int MAX_FAILURES_PER_ACCOUNT = 5;
    static final int MAX_FAILURES_PER_ADDRESS = 20;
    static final Duration WINDOW = Duration.ofMinutes(15);
    private static final int MAX_TRACKED = 10_000;

    private final Map<String, Deque<Long>> failures = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Long>> eldest) {
            return size() > MAX_TRACKED;
        }
    };

    /** Throws 429 when {@code account} or {@code address} failed too often lately. */
    public synchronized void check(String account, String address, long nowMillis) {
        refuseIfOver("account:" + account, MAX_FAILURES_PER_ACCOUNT, "this account", nowMillis);
        refuseIfOver("address:" + address, MAX_FAILURES_PER_ADDRESS, "this address", nowMillis);
    }

    public synchronized void failed(String account, String address, long nowMillis) {
        failures.computeIfAbsent("account:" + account, k -> new ArrayDeque<>()).add(nowMillis);
        failures.computeIfAbsent("address:" + address, k -> new ArrayDeque<>()).add(nowMillis);
    }

    public synchronized void succeeded(String account) {
        failures.remove("account:" + account);
    }

    private void refuseIfOver(String name, int limit, String who, long now) {
        Deque<Long> times = failures.get(name);
        if (times == null) return;
        while (!times.isEmpty() && now - times.peekFirst() >= WINDOW.toMillis()) times.pollFirst();
        if (times.isEmpty()) {
            failures.remove(name);
            return;
        }
        if (times.size() >= limit) {
            long retryMs = times.peekFirst() + WINDOW.toMillis() - now;
            Duration retry = Duration.ofSeconds(Math.max(1, (retryMs + 999) / 1000));
            throw ApiException.rateLimited(limit + " failed sign-ins from " + who + " within " + WINDOW.toMinutes()
                    + " minutes; retry in " + retry.toSeconds() + " s", retry);
        }
    }
}
