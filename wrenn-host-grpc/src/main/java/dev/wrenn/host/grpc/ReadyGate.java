package dev.wrenn.host.grpc;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import io.grpc.stub.CallStreamObserver;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends a stream's messages no faster than the peer takes them (gRPC flow control): a sender waits
 * until the transport is ready, so what the peer has not read stays where it was produced (in the
 * guest, for a process) instead of piling up in memory here.
 */
final class ReadyGate<T> {
    private final CallStreamObserver<T> out;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile boolean cancelled;

    /** Must be made while the call is being set up: gRPC takes the handlers only then. */
    ReadyGate(CallStreamObserver<T> out, Runnable onCancel) {
        this.out = out;
        out.setOnReadyHandler(this::signal);
        if (out instanceof ServerCallStreamObserver<T> server) {
            server.setOnCancelHandler(() -> {
                cancelled = true;
                signal();
                onCancel.run();
            });
        }
    }

    /** Sends once the peer can take it; {@link HostError#STREAM_CLOSED} when the call is cancelled meanwhile. */
    void send(T message) throws InterruptedException {
        lock.lock();
        try {
            while (!out.isReady() && !cancelled) changed.await();
            if (cancelled) throw new HostException(HostError.STREAM_CLOSED, "the caller went away");
            out.onNext(message);
        } finally {
            lock.unlock();
        }
    }

    /** Ends the call, unless the peer went away. */
    void complete() {
        lock.lock();
        try {
            if (!cancelled) out.onCompleted();
        } finally {
            lock.unlock();
        }
    }

    void fail(Throwable failure) {
        lock.lock();
        try {
            if (!cancelled) out.onError(WireErrors.toStatus(failure));
        } finally {
            lock.unlock();
        }
    }

    /** Marks the call as over from this side (the client's gate has no cancel handler). */
    void cancel() {
        cancelled = true;
        signal();
    }

    boolean cancelled() {
        return cancelled;
    }

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
