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
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * The agent's side of one OpenPort call: the connection to the capsule's port, its bytes relayed
 * both ways, what the service sends going out as the control plane takes it.
 */
final class PortCall extends OpeningCall<PortInput, PortOutput> {
    /** The longest wait for a connect a control plane may ask for. */
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(60);

    private final Host host;
    private volatile PortStream port;
    private volatile boolean closed;

    PortCall(Host host, StreamObserver<PortOutput> responses) {
        super(responses, "port-input");
        this.host = host;
    }

    @Override
    void handle(PortInput input) throws InterruptedException {
        if (port == null) {
            if (input.getKindCase() != PortInput.KindCase.OPEN) {
                throw new HostException(HostError.INVALID_ARGUMENT, "a port call opens with open, not " + input.getKindCase());
            }
            open(input.getOpen());
            return;
        }
        try {
            switch (input.getKindCase()) {
                case DATA -> {
                    input.getData().writeTo(port.out());
                    port.out().flush();
                }
                case SHUTDOWN_OUTPUT -> port.shutdownOutput();
                case OPEN, KIND_NOT_SET -> throw new HostException(HostError.INVALID_ARGUMENT,
                        "a port call is opened once, by its first message; got " + input.getKindCase());
            }
        } catch (IOException e) {
            throw new HostException(HostError.HOST_FAILURE, "writing to the capsule's port failed: " + e.getMessage(), e);
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
        byte[] buf = new byte[FileChunks.CHUNK];
        try {
            InputStream in = port.in();
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                if (n > 0) out.send(PortOutput.newBuilder().setData(ByteString.copyFrom(buf, 0, n)).build());
            }
            // the service closed its side: the exchange is over (a call cannot stay open one way only)
            finish();
        } catch (InterruptedException e) {
            release();
        } catch (IOException e) {
            if (!closed) end(new HostException(HostError.HOST_FAILURE, "reading the capsule's port failed: " + e.getMessage(), e));
        } catch (RuntimeException e) {
            end(e);
        }
    }

    @Override
    void release() {
        closed = true;
        PortStream p = port;
        if (p != null) p.close();
    }
}
