package dev.wrenn.host.guest;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The host's side of one stream: frames the guest sent on it (bounded by the credit the host
 * granted), and the credit the guest granted the host for STDIN / WRITE_DATA.
 */
final class StreamState {
    /** Credit each direction starts with (docs/guest-protocol.md §4). */
    static final long INITIAL_CREDIT = 1 << 20;

    final int id;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Deque<Frame> frames = new ArrayDeque<>();
    private long sendCredit;
    private long receiveCredit = INITIAL_CREDIT;
    private RuntimeException failure;
    private boolean ended;

    StreamState(int id) {
        this.id = id;
    }

    /** Called by the reader thread. Data beyond the granted credit breaks the protocol. */
    void deliver(Frame frame) {
        lock.lock();
        try {
            if (failure != null) return;
            if (frame.type() == FrameType.CREDIT) {
                long bytes = frame.record().number("bytes", 0);
                if (bytes < 0 || bytes > Integer.MAX_VALUE) {
                    failure = new GuestProtocolException("guest granted a bad credit of " + bytes + " on stream " + id);
                } else {
                    sendCredit += bytes;
                }
            } else {
                if (isData(frame.type())) {
                    receiveCredit -= frame.payload().length;
                    if (receiveCredit < 0) {
                        failure = new GuestProtocolException("guest overran its credit on stream " + id);
                        changed.signalAll();
                        return;
                    }
                }
                frames.add(frame);
                ended |= isTerminal(frame.type());
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void fail(RuntimeException cause) {
        lock.lock();
        try {
            if (failure == null) failure = cause;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The next frame, waiting until {@code deadlineNanos} (System.nanoTime based; 0 = no deadline). */
    Frame next(long deadlineNanos, String awaited) throws InterruptedException {
        lock.lock();
        try {
            while (frames.isEmpty()) {
                if (failure != null) throw failure;
                awaitUntil(deadlineNanos, awaited);
            }
            return frames.poll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the guest granted at least one byte of credit, or ended the stream (an ERROR
     * that refuses the transfer, the EXIT of the process). Returns the credit, 0 once ended.
     */
    long awaitCredit(long deadlineNanos, String awaited) throws InterruptedException {
        lock.lock();
        try {
            while (sendCredit == 0 && !ended) {
                if (failure != null) throw failure;
                awaitUntil(deadlineNanos, awaited);
            }
            return ended ? 0 : sendCredit;
        } finally {
            lock.unlock();
        }
    }

    void spendCredit(long bytes) {
        lock.lock();
        try {
            sendCredit -= bytes;
        } finally {
            lock.unlock();
        }
    }

    /** Records that the host consumed {@code bytes}; the caller sends the matching CREDIT frame. */
    void grant(long bytes) {
        lock.lock();
        try {
            receiveCredit += bytes;
        } finally {
            lock.unlock();
        }
    }

    private void awaitUntil(long deadlineNanos, String awaited) throws InterruptedException {
        if (deadlineNanos == 0) {
            changed.await();
            return;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) throw new GuestTimeoutException("timed out waiting for " + awaited);
        changed.await(left, TimeUnit.NANOSECONDS);
    }

    /** Frames after which the guest sends nothing more on the stream. */
    static boolean isTerminal(int type) {
        return type == FrameType.ERROR || type == FrameType.EXIT || type == FrameType.END;
    }

    private static boolean isData(int type) {
        return type == FrameType.STDOUT || type == FrameType.STDERR || type == FrameType.REPLAY
                || type == FrameType.DATA || type == FrameType.ENTRIES;
    }
}
