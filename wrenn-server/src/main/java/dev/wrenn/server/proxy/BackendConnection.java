package dev.wrenn.server.proxy;

import dev.wrenn.host.api.PortStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/** One connection from the proxy to a service in a capsule (on this host or another), with buffered blocking streams. */
final class BackendConnection implements Closeable {
    private static final int BUFFER = 16 << 10;

    private final PortStream port;
    private final InputStream in;
    private final OutputStream out;
    private final BackendPool.Key key;
    private long idleSince;
    private boolean reused;

    BackendConnection(PortStream port, BackendPool.Key key) {
        this.port = port;
        this.key = key;
        this.in = new BufferedInputStream(port.in(), BUFFER);
        this.out = new BufferedOutputStream(port.out(), BUFFER);
    }

    InputStream in() {
        return in;
    }

    OutputStream out() {
        return out;
    }

    BackendPool.Key key() {
        return key;
    }

    /** True once it served a request before this one: a failure may then be a close the service made while it idled. */
    boolean reused() {
        return reused;
    }

    void readTimeout(Duration timeout) throws IOException {
        port.readTimeout(timeout);
    }

    void shutdownOutput() throws IOException {
        out.flush();
        port.shutdownOutput();
    }

    void idle(long nowNanos) {
        idleSince = nowNanos;
        reused = true;
    }

    long idleSince() {
        return idleSince;
    }

    /**
     * Whether an idle connection can take another request: the service has not closed it and has
     * sent nothing since its last answer.
     */
    boolean usable() {
        try {
            return in.available() == 0 && port.usable();
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        port.close();
    }
}
