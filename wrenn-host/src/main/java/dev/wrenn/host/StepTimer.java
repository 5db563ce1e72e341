package dev.wrenn.host;

/** Times the steps of one operation, for the log line that reports it ("launch=31 restore=40 ..."). */
final class StepTimer {
    private final long start = System.nanoTime();
    private final StringBuilder steps = new StringBuilder();
    private long last = start;

    void mark(String step) {
        long now = System.nanoTime();
        if (!steps.isEmpty()) steps.append(' ');
        steps.append(step).append('=').append((now - last) / 1_000_000);
        last = now;
    }

    long totalMs() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Override
    public String toString() {
        return steps.toString();
    }
}
