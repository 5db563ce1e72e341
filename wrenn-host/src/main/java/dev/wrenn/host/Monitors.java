package dev.wrenn.host;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting on an object's monitor for a condition, with a bound. */
final class Monitors {
    private Monitors() {}

    /**
     * Waits on {@code monitor}, which the caller holds, until {@code done} or {@code within} has
     * passed; answers whether it is done. Whoever makes it done calls {@code notifyAll()}.
     */
    static boolean awaitUntil(Object monitor, BooleanSupplier done, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        try {
            for (long left; !done.getAsBoolean() && (left = deadline - System.nanoTime()) > 0; ) {
                monitor.wait(Math.max(1, left / 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return done.getAsBoolean();
    }
}
