package dev.wrenn.server.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.FutureCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection after the service switched protocols (a WebSocket, usually): bytes relayed
 * both ways untouched, so any protocol works. Jetty hands the connection over once the 101 answer
 * is written. Each direction is a virtual thread; an end of input in one direction is passed on
 * as a half close, the tunnel closes when both have ended or either fails.
 */
final class Tunnel extends AbstractConnection implements Connection.UpgradeTo {
    private static final Logger log = LoggerFactory.getLogger(Tunnel.class);
    /** A tunnel that carries nothing either way for this long is closed. */
    static final Duration IDLE_TIMEOUT = Duration.ofMinutes(10);

    private final BackendConnection service;
    private final Runnable onTraffic;
    private final AtomicInteger openDirections = new AtomicInteger(2);
    private ByteBuffer prefilled;

    /** @param onTraffic called whenever bytes pass (activity of the capsule) */
    Tunnel(EndPoint client, Executor executor, BackendConnection service, Runnable onTraffic) {
        super(client, executor);
        this.service = service;
        this.onTraffic = onTraffic;
    }

    /** Bytes the client sent right after its upgrade request, already read by the HTTP parser. */
    @Override
    public void onUpgradeTo(ByteBuffer buffer) {
        if (BufferUtil.hasContent(buffer)) {
            prefilled = ByteBuffer.allocate(buffer.remaining());
            prefilled.put(buffer).flip();
        }
    }

    @Override
    public void onOpen() {
        super.onOpen();
        getEndPoint().setIdleTimeout(IDLE_TIMEOUT.toMillis());
        Thread.ofVirtual().name("tunnel-up").start(() -> direction(this::clientToService));
        Thread.ofVirtual().name("tunnel-down").start(() -> direction(this::serviceToClient));
    }

    /** Never called: the client side is read by {@link #clientToService} with fill interests of its own. */
    @Override
    public void onFillable() {
    }

    @Override
    public void onClose(Throwable cause) {
        service.close();
        super.onClose(cause);
    }

    private interface Pump {
        void run() throws IOException, InterruptedException, ExecutionException;
    }

    private void direction(Pump pump) {
        try {
            pump.run();
            if (openDirections.decrementAndGet() == 0) close();
        } catch (IOException | ExecutionException | RuntimeException e) {
            log.atDebug().log("tunnel ended: {}", e.toString());
            close();
        } catch (InterruptedException e) {
            close();
        }
    }

    private void clientToService() throws IOException, InterruptedException, ExecutionException {
        OutputStream out = service.out();
        if (prefilled != null) {
            out.write(prefilled.array(), prefilled.position(), prefilled.remaining());
            out.flush();
        }
        ByteBuffer buf = BufferUtil.allocate(Bodies.BUFFER);
        EndPoint client = getEndPoint();
        while (true) {
            BufferUtil.clear(buf);
            int n = client.fill(buf);
            if (n < 0) {
                service.shutdownOutput();
                return;
            }
            if (n == 0) {
                FutureCallback readable = new FutureCallback();
                client.fillInterested(readable);
                readable.get();
                continue;
            }
            out.write(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining());
            out.flush();
            onTraffic.run();
        }
    }

    private void serviceToClient() throws IOException, InterruptedException, ExecutionException {
        InputStream in = service.in();
        byte[] buf = new byte[Bodies.BUFFER];
        EndPoint client = getEndPoint();
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
            if (n == 0) continue;
            FutureCallback written = new FutureCallback();
            client.write(written, ByteBuffer.wrap(buf, 0, n));
            written.get();
            onTraffic.run();
        }
        client.shutdownOutput();
    }
}
