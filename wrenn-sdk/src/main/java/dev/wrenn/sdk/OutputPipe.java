package dev.wrenn.sdk;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A stream's output as an InputStream, bounded: once {@link #CAPACITY} bytes wait unread, the
 * stage {@link #offer} returns completes only when the reader has made room, and the connection
 * asks the server for nothing more until then. Memory stays at the capacity plus one frame.
 */
final class OutputPipe extends InputStream {
    static final int CAPACITY = 256 * 1024;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final ArrayDeque<byte[]> pieces = new ArrayDeque<>();
    private int headOffset;   // bytes of the first piece already read
    private int buffered;     // bytes unread in all
    private CompletableFuture<Void> room; // given to the writer while the pipe is full
    private boolean ended;
    private Throwable failure;
    private boolean closed;

    /** Takes a piece of output; the stage completes when the pipe has room for the next. */
    CompletionStage<?> offer(byte[] data) {
        lock.lock();
        try {
            if (closed) return StreamConnection.HANDLED;
            pieces.add(data);
            buffered += data.length;
            readable.signalAll();
            if (buffered < CAPACITY) return StreamConnection.HANDLED;
            room = new CompletableFuture<>();
            return room;
        } finally {
            lock.unlock();
        }
    }

    /** No more output comes; the reader gets what is left, then end of stream, or {@code failure} when not null. */
    void end(Throwable failure) {
        lock.lock();
        try {
            ended = true;
            this.failure = failure;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        CompletableFuture<Void> freed;
        int n;
        lock.lock();
        try {
            while (pieces.isEmpty() && !ended && !closed) readable.await();
            if (closed) throw new IOException("the terminal's output stream is closed");
            if (pieces.isEmpty()) {
                if (failure != null) throw new IOException("the terminal's stream ended: " + failure.getMessage(), failure);
                return -1;
            }
            byte[] head = pieces.peek();
            n = Math.min(len, head.length - headOffset);
            System.arraycopy(head, headOffset, b, off, n);
            headOffset += n;
            if (headOffset == head.length) {
                pieces.poll();
                headOffset = 0;
            }
            buffered -= n;
            freed = takeRoomIfFreed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the terminal's output");
        } finally {
            lock.unlock();
        }
        if (freed != null) freed.complete(null); // outside the lock: it asks the server for the next frame
        return n;
    }

    @Override
    public int available() {
        lock.lock();
        try {
            return buffered;
        } finally {
            lock.unlock();
        }
    }

    /** The reader is done: what is buffered and whatever comes later is dropped, so the terminal is never held up. */
    @Override
    public void close() {
        CompletableFuture<Void> freed;
        lock.lock();
        try {
            closed = true;
            pieces.clear();
            buffered = 0;
            freed = takeRoomIfFreed();
            readable.signalAll();
        } finally {
            lock.unlock();
        }
        if (freed != null) freed.complete(null);
    }

    private CompletableFuture<Void> takeRoomIfFreed() {
        if (room == null || buffered >= CAPACITY) return null;
        CompletableFuture<Void> r = room;
        room = null;
        return r;
    }
}
