package dev.wrenn.sdk;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/** The blocking face of async calls: waits, and throws what the call failed with, unwrapped. */
final class Futures {
    private Futures() {}

    static <T> T await(CompletableFuture<T> future) {
        return await(future, null, null);
    }

    /**
     * Waits at most {@code timeout} (null: no limit); past it throws a {@link WrennTimeoutException}
     * with {@code onTimeout}'s message, leaving the future as it is.
     */
    static <T> T await(CompletableFuture<T> future, Duration timeout, Supplier<String> onTimeout) {
        try {
            return timeout == null ? future.get() : future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new WrennTimeoutException(onTimeout.get(), null);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new WrennException(0, "interrupted", "interrupted while waiting for the Wrenn API", null, e);
        } catch (ExecutionException e) {
            RuntimeException failure = rethrowable(e.getCause());
            // the exception was made on an HTTP thread; keep the caller's own stack with it for debugging
            failure.addSuppressed(new CallerStack());
            throw failure;
        } catch (CancellationException e) {
            throw new WrennException(0, "cancelled", "the call was cancelled", null, e);
        }
    }

    /**
     * {@code future}, or a {@link WrennTimeoutException} with {@code onTimeout}'s message when it is not
     * done within {@code timeout}. No thread waits meanwhile.
     */
    static <T> CompletableFuture<T> within(CompletableFuture<T> future, Duration timeout, Supplier<String> onTimeout) {
        return future.orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS).exceptionallyCompose(failure -> {
            Throwable t = unwrap(failure);
            return CompletableFuture.failedFuture(t instanceof TimeoutException ? new WrennTimeoutException(onTimeout.get(), null) : t);
        });
    }

    /** The failure as the caller should see it: CompletionException wrappers removed. */
    static RuntimeException rethrowable(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error err) throw err;
        return new WrennException(0, "client_error", String.valueOf(t), null, t);
    }

    /** Where a blocking call that failed was made. */
    private static final class CallerStack extends Exception {
        private static final long serialVersionUID = 1L;

        CallerStack() {
            super("the blocking call was made here");
        }
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
