package dev.wrenn.host.grpc;

import com.google.protobuf.ByteString;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessStream;
import dev.wrenn.host.grpc.v1.Empty;
import dev.wrenn.host.grpc.v1.ProcessInput;
import dev.wrenn.host.grpc.v1.ProcessOpened;
import dev.wrenn.host.grpc.v1.ProcessOutput;
import dev.wrenn.host.grpc.v1.Resize;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;

/**
 * A process stream of a capsule on another host: a Start or Attach call. Output is asked for one
 * message at a time as {@link #next} hands it out, so the flow control of the call reaches back
 * to the guest: a consumer that stops pulling stalls the process, as in-process.
 */
final class RemoteProcessStream implements ProcessStream {
    private static final Object CLOSED = new Object();

    private final RemoteHost host;
    private final Answers<ProcessInput, ProcessOutput> answers = new Answers<>();
    private ProcessOpened opened;
    private volatile boolean ended;

    private RemoteProcessStream(RemoteHost host) {
        this.host = host;
    }

    /** Opens the call with {@code first} (start or attach) and waits for the process to be there. */
    static RemoteProcessStream open(RemoteHost host, Function<StreamObserver<ProcessOutput>, StreamObserver<ProcessInput>> call,
                                    ProcessInput first) {
        RemoteProcessStream s = new RemoteProcessStream(host);
        call.apply(s.answers);
        s.answers.send(first);
        Object answer = s.take();
        if (answer instanceof ProcessOutput out && out.hasOpened()) {
            s.opened = out.getOpened();
            s.answers.more();
            return s;
        }
        s.close();
        throw s.failure(answer);
    }

    @Override
    public int pid() {
        return opened.getPid();
    }

    @Override
    public String tag() {
        return opened.hasTag() ? opened.getTag() : null;
    }

    @Override
    public boolean pty() {
        return opened.getPty();
    }

    @Override
    public boolean acceptsInput() {
        return opened.getAcceptsInput();
    }

    @Override
    public ProcessEvent next() {
        if (ended) throw new HostException(HostError.STREAM_CLOSED, "the process stream has ended");
        Object answer = take();
        ProcessEvent event = answer instanceof ProcessOutput out ? Wire.fromWire(out) : null;
        if (event == null) {
            ended = true;
            throw failure(answer);
        }
        if (event instanceof ProcessEvent.Exited) ended = true;
        else answers.more();
        return event;
    }

    @Override
    public void write(byte[] data) {
        answers.send(ProcessInput.newBuilder().setStdin(ByteString.copyFrom(data)).build());
    }

    @Override
    public void closeStdin() {
        answers.send(ProcessInput.newBuilder().setCloseStdin(Empty.getDefaultInstance()).build());
    }

    @Override
    public void resize(int rows, int cols) {
        answers.send(ProcessInput.newBuilder().setResize(Resize.newBuilder().setRows(rows).setCols(cols)).build());
    }

    @Override
    public void close() {
        answers.cancel("closed by its holder", CLOSED);
    }

    private Object take() {
        try {
            return answers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CLOSED;
        }
    }

    private HostException failure(Object answer) {
        if (answer instanceof Throwable t) return host.failure(t);
        if (answer == CLOSED) return new HostException(HostError.STREAM_CLOSED, "the process stream was closed");
        return new HostException(HostError.AGENT_FAILURE, "host " + host.name() + " ended the process stream without its end");
    }
}
