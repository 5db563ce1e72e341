package dev.wrenn.sdk;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The blocking face of async calls: waits, and throws what the call failed with, unwrapped. */
final class Futures {
    private Futures() {}

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
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
