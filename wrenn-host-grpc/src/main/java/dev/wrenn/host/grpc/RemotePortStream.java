package dev.wrenn.host.grpc;

import com.google.protobuf.ByteString;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.PortStream;
import dev.wrenn.host.grpc.v1.Empty;
import dev.wrenn.host.grpc.v1.PortInput;
import dev.wrenn.host.grpc.v1.PortOpen;
import dev.wrenn.host.grpc.v1.PortOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * A port of a capsule on another host: an OpenPort call. What the service sends is asked for one
 * message at a time as it is read, so a slow reader holds the service back instead of filling memory.
 */
final class RemotePortStream implements PortStream {
    private static final Object CLOSED = new Object();

    private final RemoteHost host;
    private final Answers<PortInput, PortOutput> answers = new Answers<>();
    private final Input in = new Input();
    private final Output out = new Output();
    private volatile long readTimeoutMs;
    private volatile boolean closed;

    private RemotePortStream(RemoteHost host) {
        this.host = host;
    }

    /** Connects and waits for the agent's answer: connected, or the error of the connect. */
    static RemotePortStream open(RemoteHost host, String capsuleId, int port, Duration connectTimeout) {
        RemotePortStream s = new RemotePortStream(host);
        host.guestAsync().openPort(s.answers);
        s.answers.send(PortInput.newBuilder().setOpen(PortOpen.newBuilder().setCapsuleId(capsuleId).setPort(port)
                .setConnectTimeoutMs(connectTimeout.toMillis())).build());
        Object first;
        try {
            first = s.answers.poll(connectTimeout.plus(RemoteHost.QUICK).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            first = null;
        }
        if (first instanceof PortOutput o && o.hasConnected()) {
            s.answers.more();
            return s;
        }
        s.close();
        if (first instanceof Throwable t) throw host.failure(t);
        throw new HostException(HostError.TIMEOUT, "host " + host.name() + " did not answer the connect to port " + port);
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
    public void readTimeout(Duration timeout) {
        readTimeoutMs = timeout.toMillis();
    }

    @Override
    public void shutdownOutput() throws IOException {
        out.flush();
        sendOrFail(PortInput.newBuilder().setShutdownOutput(Empty.getDefaultInstance()).build());
    }

    @Override
    public boolean usable() {
        return !closed && !in.ended && in.available() == 0 && answers.nothingWaiting();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        answers.cancel("closed by its holder", CLOSED);
    }

    private void sendOrFail(PortInput message) throws IOException {
        try {
            answers.send(message);
        } catch (HostException e) {
            throw new IOException("the connection to the port is closed: " + e.getMessage(), e);
        }
    }

    /** The service's bytes, message by message; each message taken asks the agent for the next. */
    private final class Input extends InputStream {
        private ByteString current = ByteString.EMPTY;
        private int at;
        private volatile boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            while (at == current.size()) {
                if (ended) return -1;
                Object next = take();
                if (next == Answers.COMPLETED || next == CLOSED) {
                    ended = true;
                    return -1;
                }
                if (next instanceof Throwable t) {
                    ended = true;
                    throw new IOException(host.failure(t).getMessage(), t);
                }
                current = ((PortOutput) next).getData();
                at = 0;
                answers.more();
            }
            int n = Math.min(len, current.size() - at);
            current.copyTo(b, at, off, n);
            at += n;
            return n;
        }

        @Override
        public int available() {
            return current.size() - at;
        }

        private Object take() throws IOException {
            try {
                long timeout = readTimeoutMs;
                if (timeout <= 0) return answers.take();
                Object next = answers.poll(timeout);
                if (next == null) throw new SocketTimeoutException("nothing from the port within " + timeout + " ms");
                return next;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading the port");
            }
        }
    }

    /** Bytes for the service, sent as a message at each flush (or when the buffer fills). */
    private final class Output extends OutputStream {
        private final byte[] buf = new byte[FileChunks.CHUNK];
        private int used;

        @Override
        public synchronized void write(int b) throws IOException {
            if (used == buf.length) flush();
            buf[used++] = (byte) b;
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (used == buf.length) flush();
                int n = Math.min(len, buf.length - used);
                System.arraycopy(b, off, buf, used, n);
                used += n;
                off += n;
                len -= n;
            }
        }

        @Override
        public synchronized void flush() throws IOException {
            if (used == 0) return;
            sendOrFail(PortInput.newBuilder().setData(ByteString.copyFrom(buf, 0, used)).build());
            used = 0;
        }
    }
}
