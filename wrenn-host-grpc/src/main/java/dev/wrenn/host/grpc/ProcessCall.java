package dev.wrenn.host.grpc;

import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessStream;
import dev.wrenn.host.grpc.v1.AttachRequest;
import dev.wrenn.host.grpc.v1.GuestExec;
import dev.wrenn.host.grpc.v1.ProcessInput;
import dev.wrenn.host.grpc.v1.ProcessOpened;
import dev.wrenn.host.grpc.v1.ProcessOutput;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The agent's side of one Start or Attach call: the first message opens the process stream, later
 * ones are its input; a pump sends its output as the control plane takes it. A cancelled call
 * closes the stream, as closing it in-process would.
 *
 * <p>Input is handled on a thread of its own and asked for one message at a time: writing stdin
 * waits for the guest, and gRPC delivers the call's readiness (which the output pump waits for) on
 * the thread that delivers its messages, so blocking there could stall output behind input.
 */
final class ProcessCall implements StreamObserver<ProcessInput> {
    private static final Object NO_MORE_INPUT = new Object();

    private final Host host;
    private final ServerCallStreamObserver<ProcessOutput> call;
    private final ReadyGate<ProcessOutput> out;
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private volatile ProcessStream stream;
    private volatile boolean ended;

    ProcessCall(Host host, StreamObserver<ProcessOutput> responses) {
        this.host = host;
        this.call = (ServerCallStreamObserver<ProcessOutput>) responses;
        this.out = new ReadyGate<>(call, this::cancelled);
        call.disableAutoRequest();
        call.request(1);
        Thread.ofVirtual().name("process-input").start(this::takeInput);
    }

    @Override
    public void onNext(ProcessInput input) {
        inbox.add(input);
    }

    @Override
    public void onError(Throwable t) {
        cancelled();
    }

    @Override
    public void onCompleted() {
        inbox.add(NO_MORE_INPUT);   // the stream stays open until the process ends or the call is cancelled
    }

    private void cancelled() {
        inbox.add(NO_MORE_INPUT);
        closeStream();
    }

    private void takeInput() {
        try {
            Object next;
            while ((next = inbox.take()) != NO_MORE_INPUT && !ended) {
                handle((ProcessInput) next);
                call.request(1);
            }
        } catch (InterruptedException e) {
            closeStream();
        } catch (RuntimeException e) {
            end(e);
        }
    }

    private void handle(ProcessInput input) throws InterruptedException {
        if (stream == null) {
            open(input);
            return;
        }
        switch (input.getKindCase()) {
            case STDIN -> stream.write(input.getStdin().toByteArray());
            case CLOSE_STDIN -> stream.closeStdin();
            case RESIZE -> stream.resize(input.getResize().getRows(), input.getResize().getCols());
            case START, ATTACH, KIND_NOT_SET -> throw new HostException(HostError.INVALID_ARGUMENT,
                    "a process stream is opened once, by its first message; got " + input.getKindCase());
        }
    }

    private void open(ProcessInput first) throws InterruptedException {
        ProcessStream opened = switch (first.getKindCase()) {
            case START -> {
                GuestExec exec = first.getStart();
                yield host.guest(exec.getCapsuleId()).start(Wire.fromWire(exec.getRequest()));
            }
            case ATTACH -> {
                AttachRequest a = first.getAttach();
                yield host.guest(a.getCapsuleId()).attach(a.getPidOrTag(), a.getReplay());
            }
            default -> throw new HostException(HostError.INVALID_ARGUMENT,
                    "a process stream opens with start or attach, not " + first.getKindCase());
        };
        stream = opened;
        if (out.cancelled()) {
            opened.close();
            return;
        }
        var o = ProcessOpened.newBuilder().setPid(opened.pid()).setPty(opened.pty()).setAcceptsInput(opened.acceptsInput());
        if (opened.tag() != null) o.setTag(opened.tag());
        out.send(ProcessOutput.newBuilder().setOpened(o).build());
        Thread.ofVirtual().name("process-output-" + opened.pid()).start(this::pump);
    }

    private void pump() {
        try {
            while (true) {
                ProcessEvent event = stream.next();
                out.send(Wire.toWire(event));
                if (event instanceof ProcessEvent.Exited) {
                    ended = true;
                    inbox.add(NO_MORE_INPUT);
                    out.complete();
                    stream.close();
                    return;
                }
            }
        } catch (InterruptedException e) {
            closeStream();
        } catch (RuntimeException e) {
            end(e);
        }
    }

    private void end(RuntimeException e) {
        ended = true;
        inbox.add(NO_MORE_INPUT);
        out.fail(e);
        closeStream();
    }

    private void closeStream() {
        ProcessStream s = stream;
        if (s != null) s.close();
    }
}
