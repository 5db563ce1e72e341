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
import io.grpc.stub.StreamObserver;

/**
 * The agent's side of one Start or Attach call: the first message opens the process stream, later
 * ones are its input; a pump sends its output as the control plane takes it. A cancelled call
 * closes the stream, as closing it in-process would.
 */
final class ProcessCall extends OpeningCall<ProcessInput, ProcessOutput> {
    private final Host host;
    private volatile ProcessStream stream;

    ProcessCall(Host host, StreamObserver<ProcessOutput> responses) {
        super(responses, "process-input");
        this.host = host;
    }

    @Override
    void handle(ProcessInput input) throws InterruptedException {
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
                    finish();
                    return;
                }
            }
        } catch (InterruptedException e) {
            release();
        } catch (RuntimeException e) {
            end(e);
        }
    }

    @Override
    void release() {
        ProcessStream s = stream;
        if (s != null) s.close();
    }
}
