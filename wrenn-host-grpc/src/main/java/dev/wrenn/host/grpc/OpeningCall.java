package dev.wrenn.host.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The agent's side of a bidirectional call whose first message opens something (a process stream,
 * a connection to a port) and whose later messages feed it, while a pump sends what it produces as
 * the control plane takes it.
 *
 * <p>Input is handled on a thread of its own and asked for one message at a time: feeding may wait
 * (for the guest, for a service), and gRPC tells the call is ready for more output on the thread
 * that delivers its messages, so waiting there could stall output behind input.
 *
 * @param <I> what the control plane sends
 * @param <O> what the agent sends
 */
abstract class OpeningCall<I, O> implements StreamObserver<I> {
    private static final Object NO_MORE_INPUT = new Object();

    private final ServerCallStreamObserver<O> call;
    /** Output, sent as the control plane takes it. */
    final ReadyGate<O> out;
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private volatile boolean ended;

    OpeningCall(StreamObserver<O> responses, String inputThread) {
        this.call = (ServerCallStreamObserver<O>) responses;
        this.out = new ReadyGate<>(call, this::cancelled);
        call.disableAutoRequest();
        call.request(1);
        Thread.ofVirtual().name(inputThread).start(this::takeInput);
    }

    /** One message from the control plane, in order; the first opens. */
    abstract void handle(I input) throws InterruptedException;

    /** Closes what the call opened (idempotent; nothing when nothing was opened yet). */
    abstract void release();

    @Override
    public final void onNext(I input) {
        inbox.add(input);
    }

    @Override
    public final void onError(Throwable t) {
        cancelled();
    }

    @Override
    public final void onCompleted() {
        inbox.add(NO_MORE_INPUT);   // what was opened stays until it ends or the call is cancelled
    }

    /** What was opened has ended: the call ends well. */
    final void finish() {
        stopInput();
        out.complete();
        release();
    }

    /** The call ends with {@code e}'s HostError. */
    final void end(RuntimeException e) {
        stopInput();
        out.fail(e);
        release();
    }

    private void cancelled() {
        stopInput();
        release();
    }

    private void stopInput() {
        ended = true;
        inbox.add(NO_MORE_INPUT);
    }

    @SuppressWarnings("unchecked")
    private void takeInput() {
        try {
            Object next;
            while ((next = inbox.take()) != NO_MORE_INPUT && !ended) {
                handle((I) next);
                call.request(1);
            }
        } catch (InterruptedException e) {
            release();
        } catch (RuntimeException e) {
            end(e);
        }
    }
}
