package dev.wrenn.host.net;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.PortStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.function.Consumer;

/** A port of a capsule on this machine: a TCP socket to its address in the capsule's namespace. */
public final class SocketPortStream implements PortStream {
    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;
    private final Consumer<PortStream> onClose;

    private SocketPortStream(SocketChannel channel, Consumer<PortStream> onClose) throws IOException {
        this.channel = channel;
        this.onClose = onClose;
        // the socket adaptor's streams honour SO_TIMEOUT, the channel's own would block without limit
        this.in = channel.socket().getInputStream();
        this.out = channel.socket().getOutputStream();
    }

    /** @throws HostException CONNECTION_REFUSED when nothing listens, TIMEOUT when nothing answers in time */
    public static SocketPortStream connect(InetSocketAddress address, Duration timeout) {
        return connect(address, timeout, s -> { });
    }

    /** As {@link #connect(InetSocketAddress, Duration)}, telling {@code onClose} when the stream is closed. */
    public static SocketPortStream connect(InetSocketAddress address, Duration timeout, Consumer<PortStream> onClose) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(address, (int) timeout.toMillis());
            return new SocketPortStream(ch, onClose);
        } catch (ConnectException e) {
            close(ch);
            throw new HostException(HostError.CONNECTION_REFUSED, "nothing listens on port " + address.getPort(), e);
        } catch (SocketTimeoutException e) {
            close(ch);
            throw new HostException(HostError.TIMEOUT, "port " + address.getPort() + " did not answer within "
                    + timeout.toMillis() + " ms", e);
        } catch (IOException e) {
            close(ch);
            throw new HostException(HostError.HOST_FAILURE, "could not connect to port " + address.getPort() + ": " + e, e);
        }
    }

    @Override
    public InputStream in() {
        return in;
    }

    @Override
    public OutputStream out() {
        return out;
    }

    @Override
    public void readTimeout(Duration timeout) throws IOException {
        channel.socket().setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    /** A non-blocking peek, microseconds. */
    @Override
    public boolean usable() {
        try {
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
        close(channel);
        onClose.accept(this);
    }

    private static void close(SocketChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
