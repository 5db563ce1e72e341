package dev.wrenn.host.grpc;

import com.google.protobuf.ByteString;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.PortStream;
import dev.wrenn.host.grpc.v1.Empty;
import dev.wrenn.host.grpc.v1.PortInput;
import dev.wrenn.host.grpc.v1.PortOpen;
import dev.wrenn.host.grpc.v1.PortOutput;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The agent's side of one OpenPort call: the connection to the capsule's port, its bytes relayed
 * both ways. As for process streams, what comes in is written on a thread of its own and asked for
 * one message at a time, and what the service sends goes out as the control plane takes it.
 */
final class PortCall implements StreamObserver<PortInput> {
    private static final Object NO_MORE_INPUT = new Object();
    /** The longest wait for a connect a control plane may ask for. */
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(60);

    private final Host host;
    private final ServerCallStreamObserver<PortOutput> call;
    private final ReadyGate<PortOutput> out;
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private volatile PortStream port;
    private volatile boolean ended;

    PortCall(Host host, StreamObserver<PortOutput> responses) {
        this.host = host;
        this.call = (ServerCallStreamObserver<PortOutput>) responses;
        this.out = new ReadyGate<>(call, this::cancelled);
        call.disableAutoRequest();
        call.request(1);
        Thread.ofVirtual().name("port-input").start(this::takeInput);
    }

    @Override
    public void onNext(PortInput input) {
        inbox.add(input);
    }

    @Override
    public void onError(Throwable t) {
        cancelled();
    }

    @Override
    public void onCompleted() {
        inbox.add(NO_MORE_INPUT);
    }

    private void cancelled() {
        ended = true;
        inbox.add(NO_MORE_INPUT);
        closePort();
    }

    private void takeInput() {
        try {
            Object next;
            while ((next = inbox.take()) != NO_MORE_INPUT && !ended) {
                handle((PortInput) next);
                call.request(1);
            }
        } catch (InterruptedException e) {
            closePort();
        } catch (IOException e) {
            end(new HostException(HostError.HOST_FAILURE, "writing to the capsule's port failed: " + e.getMessage(), e));
        } catch (RuntimeException e) {
            end(e);
        }
    }

    private void handle(PortInput input) throws IOException, InterruptedException {
        if (port == null) {
            if (input.getKindCase() != PortInput.KindCase.OPEN) {
                throw new HostException(HostError.INVALID_ARGUMENT, "a port call opens with open, not " + input.getKindCase());
            }
            open(input.getOpen());
            return;
        }
        switch (input.getKindCase()) {
            case DATA -> {
                input.getData().writeTo(port.out());
                port.out().flush();
            }
            case SHUTDOWN_OUTPUT -> port.shutdownOutput();
            case OPEN, KIND_NOT_SET -> throw new HostException(HostError.INVALID_ARGUMENT,
                    "a port call is opened once, by its first message; got " + input.getKindCase());
        }
    }

    private void open(PortOpen open) throws InterruptedException {
        Duration timeout = Duration.ofMillis(Math.max(1, Math.min(open.getConnectTimeoutMs(), MAX_CONNECT_TIMEOUT.toMillis())));
        PortStream opened = host.openPort(open.getCapsuleId(), open.getPort(), timeout);
        port = opened;
        if (out.cancelled()) {
            opened.close();
            return;
        }
        out.send(PortOutput.newBuilder().setConnected(Empty.getDefaultInstance()).build());
        Thread.ofVirtual().name("port-output").start(this::pump);
    }

    private void pump() {
        byte[] buf = new byte[GuestGrpcService.CHUNK];
        try {
            InputStream in = port.in();
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                if (n > 0) out.send(PortOutput.newBuilder().setData(ByteString.copyFrom(buf, 0, n)).build());
            }
            // the service closed its side: the exchange is over (a call cannot stay open one way only)
            ended = true;
            inbox.add(NO_MORE_INPUT);
            out.complete();
            closePort();
        } catch (InterruptedException e) {
            closePort();
        } catch (IOException e) {
            if (!ended) end(new HostException(HostError.HOST_FAILURE, "reading the capsule's port failed: " + e.getMessage(), e));
        } catch (RuntimeException e) {
            end(e);
        }
    }

    private void end(RuntimeException e) {
        ended = true;
        inbox.add(NO_MORE_INPUT);
        out.fail(e);
        closePort();
    }

    private void closePort() {
        PortStream p = port;
        if (p != null) p.close();
    }
}
