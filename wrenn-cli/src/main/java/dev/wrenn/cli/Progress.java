package dev.wrenn.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A progress line on stderr while a long call (create, pause, resume, snapshot) runs. On a terminal it
 * counts the seconds in place with {@code \r}; elsewhere (a log file, CI) such redraws would pile up, so
 * it writes one line at the start and one when done. Stdout stays free for the result.
 */
final class Progress {
    private static final long TICK_MS = 100;

    private final PrintWriter err;
    private final boolean live;
    private int shown; // characters on the live line, to blank out what a shorter redraw leaves

    Progress(PrintWriter err, boolean live) {
        this.err = err;
        this.live = live;
    }

    <T> T run(String label, Supplier<T> operation) {
        String head = label + "...";
        long start = System.nanoTime();
        if (!live) {
            println(head);
            T result = operation.get();
            println(head + " done in " + elapsed(start));
            return result;
        }
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wrenn-progress");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleAtFixedRate(() -> redraw(head + " " + elapsed(start)), 0, TICK_MS, TimeUnit.MILLISECONDS);
        T result;
        try {
            result = operation.get();
        } catch (RuntimeException | Error e) {
            stop(ticker);
            redraw(""); // the error line that follows stands alone
            err.print('\r');
            err.flush();
            throw e;
        }
        stop(ticker);
        redraw(head + " done in " + elapsed(start));
        err.println();
        err.flush();
        return result;
    }

    private void redraw(String text) {
        err.print('\r' + text + " ".repeat(Math.max(0, shown - text.length())));
        err.flush();
        shown = text.length();
    }

    private void println(String line) {
        err.println(line);
        err.flush();
    }

    /** Waits for a tick in progress, so nothing is drawn after the final line. */
    private static void stop(ScheduledExecutorService ticker) {
        ticker.shutdownNow();
        try {
            ticker.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String elapsed(long startNanos) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - startNanos) / 1e9);
    }
}
