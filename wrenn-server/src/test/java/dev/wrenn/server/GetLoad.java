package dev.wrenn.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A load generator in the manner of wrk: one thread drives many keep-alive connections, each
 * with one request outstanding, so that the client takes as little of the machine as it can.
 * Counts answers; any answer other than a 200 with a Content-Length fails the run.
 */
final class GetLoad {
    private static final byte[] END_OF_HEAD = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private GetLoad() {}

    /** Answers per second of {@code connections} clients sending {@code request} for {@code time}. */
    static double run(int port, byte[] request, int connections, Duration time) throws IOException {
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < connections; i++) {
                SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.configureBlocking(false);
                Conn c = new Conn(ch);
                c.send(request);
                ch.register(selector, SelectionKey.OP_READ, c);
            }
            long answers = 0;
            long t0 = System.nanoTime();
            long end = t0 + time.toNanos();
            while (System.nanoTime() < end) {
                selector.select(100);
                for (SelectionKey k : selector.selectedKeys()) {
                    Conn c = (Conn) k.attachment();
                    int done = c.read();
                    answers += done;
                    if (done > 0) c.send(request);
                }
                selector.selectedKeys().clear();
            }
            double rps = answers / ((System.nanoTime() - t0) / 1e9);
            for (SelectionKey k : selector.keys()) k.channel().close();
            return rps;
        }
    }

    private static final class Conn {
        private final SocketChannel ch;
        private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);

        Conn(SocketChannel ch) {
            this.ch = ch;
        }

        void send(byte[] request) throws IOException {
            ByteBuffer out = ByteBuffer.wrap(request);
            while (out.hasRemaining()) ch.write(out);
        }

        /** Reads what arrived; the number of complete answers in it (0 or 1: one request is outstanding). */
        int read() throws IOException {
            if (ch.read(in) < 0) throw new IOException("the server closed a connection");
            int head = indexOf(in, END_OF_HEAD);
            if (head < 0) return 0;
            String h = new String(in.array(), 0, head, StandardCharsets.US_ASCII);
            if (!h.startsWith("HTTP/1.1 200")) throw new IllegalStateException("unexpected answer: " + h);
            int at = h.toLowerCase(java.util.Locale.ROOT).indexOf("content-length:");
            if (at < 0) throw new IllegalStateException("no Content-Length: " + h);
            int lineEnd = h.indexOf("\r\n", at);
            int len = Integer.parseInt(h.substring(at + 15, lineEnd < 0 ? h.length() : lineEnd).strip());
            int total = head + END_OF_HEAD.length + len;
            if (in.position() < total) return 0;
            int extra = in.position() - total;
            System.arraycopy(in.array(), total, in.array(), 0, extra);
            in.position(extra);
            return 1;
        }

        private static int indexOf(ByteBuffer buf, byte[] needle) {
            byte[] a = buf.array();
            outer:
            for (int i = 0; i + needle.length <= buf.position(); i++) {
                for (int j = 0; j < needle.length; j++) {
                    if (a[i + j] != needle[j]) continue outer;
                }
                return i;
            }
            return -1;
        }
    }
}
