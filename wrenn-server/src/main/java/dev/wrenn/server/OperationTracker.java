package dev.wrenn.server;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counts what is in flight (requests, background boots) so that a shutdown can stop taking new
 * work and let the running work finish.
 */
public final class OperationTracker {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private int running;
    private boolean draining;

    /** False once draining: the caller must not start the work. */
    public boolean enter() {
        lock.lock();
        try {
            if (draining) return false;
            running++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    public void exit() {
        lock.lock();
        try {
            if (--running == 0) idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean draining() {
        return draining;
    }

    /** Refuses new work and waits up to {@code grace} for the running work; true if all of it finished. */
    public boolean drain(Duration grace) {
        lock.lock();
        try {
            draining = true;
            long left = grace.toNanos();
            while (running > 0 && left > 0) left = idle.awaitNanos(left);
            return running == 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    public int running() {
        lock.lock();
        try {
            return running;
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code work} on a new virtual thread, counted as in flight; false if draining. */
    public boolean spawn(String name, Runnable work) {
        if (!enter()) return false;
        Thread.ofVirtual().name(name).start(() -> {
            try {
                work.run();
            } finally {
                exit();
            }
        });
        return true;
    }
}
