package dev.wrenn.server.proxy;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/** One TCP connection from the proxy to a service in a capsule, with buffered blocking streams. */
final class BackendConnection implements Closeable {
    private static final int BUFFER = 16 << 10;

    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;
    private final BackendPool.Key key;
    private long idleSince;
    private boolean reused;

    private BackendConnection(SocketChannel channel, BackendPool.Key key) throws IOException {
        this.channel = channel;
        this.key = key;
        // the socket adaptor's streams honour SO_TIMEOUT, the channel's own would block without limit
        this.in = new BufferedInputStream(channel.socket().getInputStream(), BUFFER);
        this.out = new BufferedOutputStream(channel.socket().getOutputStream(), BUFFER);
    }

    /**
     * @throws java.net.ConnectException nothing listens there
     * @throws java.net.SocketTimeoutException no answer to the connect within {@code timeout}
     */
    static BackendConnection open(BackendPool.Key key, Duration timeout) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(key.address(), (int) timeout.toMillis());
            return new BackendConnection(ch, key);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
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

    InetSocketAddress address() {
        return key.address();
    }

    /** True once it served a request before this one: a failure may then be a close the service made while it idled. */
    boolean reused() {
        return reused;
    }

    void readTimeout(Duration timeout) throws IOException {
        channel.socket().setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }

    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
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
     * sent nothing since its last answer. A non-blocking peek, microseconds.
     */
    boolean usable() {
        try {
            if (in.available() > 0) return false;
            channel.configureBlocking(false);
            try {
                return channel.read(ByteBuffer.allocate(1)) == 0;
            } finally {
                channel.configureBlocking(true);
            }
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
