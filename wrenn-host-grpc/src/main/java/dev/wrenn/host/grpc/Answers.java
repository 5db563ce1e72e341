package dev.wrenn.host.grpc;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The control plane's side of a bidirectional call: what it sends goes out as the agent takes it,
 * and what the agent answers waits in a queue, asked for one message at a time ({@link #more}), so
 * a caller that stops taking holds the agent back instead of filling memory here.
 *
 * @param <Q> what the control plane sends
 * @param <A> what the agent answers
 */
final class Answers<Q, A> implements ClientResponseObserver<Q, A> {
    /** Taken when the agent ended the call well. */
    static final Object COMPLETED = new Object();

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private ClientCallStreamObserver<Q> call;
    private ReadyGate<Q> gate;

    @Override
    public void beforeStart(ClientCallStreamObserver<Q> requests) {
        call = requests;
        requests.disableAutoRequestWithInitial(1);
        gate = new ReadyGate<>(requests, () -> {});
    }

    @Override
    public void onNext(A value) {
        queue.add(value);
    }

    /** The agent ended the call: what waits to be sent can go nowhere, so it fails instead of waiting. */
    @Override
    public void onError(Throwable t) {
        gate.cancel();
        queue.add(t);
    }

    @Override
    public void onCompleted() {
        gate.cancel();
        queue.add(COMPLETED);
    }

    /** The next answer, a Throwable (the call failed) or {@link #COMPLETED}; waits as long as it takes. */
    Object take() throws InterruptedException {
        return queue.take();
    }

    /** As {@link #take}, or null after {@code timeoutMs}. */
    Object poll(long timeoutMs) throws InterruptedException {
        return queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** Asks the agent for one more message (after one was taken). */
    void more() {
        call.request(1);
    }

    boolean nothingWaiting() {
        return queue.isEmpty();
    }

    /** Sends once the agent can take it; {@link HostError#STREAM_CLOSED} once the call is over. */
    void send(Q message) {
        try {
            gate.send(message);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostException(HostError.STREAM_CLOSED, "interrupted while sending");
        } catch (IllegalStateException callOver) {
            throw new HostException(HostError.STREAM_CLOSED, "the call has ended", callOver);
        }
    }

    /** Tells the agent nothing more comes (a half close); its answers still arrive. */
    void finish() {
        call.onCompleted();
    }

    /** Ends the call from this side; a {@link #take} waiting in another thread gets {@code closingMarker} (null: none). */
    void cancel(String why, Object closingMarker) {
        gate.cancel();
        call.cancel(why, null);
        if (closingMarker != null) queue.add(closingMarker);
    }
}
