package dev.wrenn.host.api;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/**
 * A TCP connection to a port inside a running capsule, as the port proxy uses it: bytes both ways
 * as blocking streams. In-process it is a socket into the capsule's network namespace; to a host on
 * another machine, a stream of the host protocol.
 */
public interface PortStream extends Closeable {
    /** What the service sends; -1 once it closed its side. Reads wait at most the {@link #readTimeout}. */
    InputStream in();

    /** What goes to the service; {@code flush} sends what was written. */
    OutputStream out();

    /** How long a read may wait before it fails with {@link java.net.SocketTimeoutException}; zero: without limit. */
    void readTimeout(Duration timeout) throws IOException;

    /** Tells the service nothing more comes (a half close). */
    void shutdownOutput() throws IOException;

    /** Whether the connection is open with nothing unread: an idle one that may carry another request. Never blocks. */
    boolean usable();

    @Override
    void close();
}
