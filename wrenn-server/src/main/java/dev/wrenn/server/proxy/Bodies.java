package dev.wrenn.server.proxy;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Message bodies moved through the proxy as they arrive, one buffer at a time: the client's body
 * to the service (chunked again when it came chunked), the service's body to the client by its
 * framing. Memory per exchange is one buffer, whatever the size of the body.
 */
final class Bodies {
    static final int BUFFER = 16 << 10;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** Where the service's body goes: the client's response; {@code last} marks the final write. */
    @FunctionalInterface
    interface Sink {
        void write(ByteBuffer data, boolean last) throws IOException;
    }

    private Bodies() {}

    /** Sends the client's body, each piece as soon as it was read, chunk-encoded when {@code chunked}. */
    static void send(InputStream client, OutputStream service, boolean chunked) throws IOException {
        byte[] buf = new byte[BUFFER];
        for (int n = client.read(buf); n >= 0; n = client.read(buf)) {
            if (n == 0) continue;
            if (chunked) service.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            service.write(buf, 0, n);
            if (chunked) service.write(CRLF);
            service.flush();
        }
        if (chunked) service.write(LAST_CHUNK);
        service.flush();
    }

    /** Exactly {@code length} bytes; the piece that completes it is written as the last. */
    static void copyLength(InputStream service, long length, Sink client) throws IOException {
        byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(length, 1))];
        long left = length;
        if (left == 0) client.write(ByteBuffer.allocate(0), true);
        while (left > 0) {
            int n = service.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) throw new EOFException("the service closed the connection " + left + " bytes before the end of its answer");
            left -= n;
            client.write(ByteBuffer.wrap(buf, 0, n), left == 0);
        }
    }

    /** A chunked body, decoded; every piece is passed on as it arrives, so a streamed answer stays streamed. */
    static void copyChunked(InputStream service, Sink client) throws IOException {
        byte[] buf = new byte[BUFFER];
        while (true) {
            long size = chunkSize(ResponseHead.line(service, false));
            if (size == 0) break;
            for (long left = size; left > 0; ) {
                int n = service.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) throw new EOFException("the service closed the connection inside a chunk");
                left -= n;
                client.write(ByteBuffer.wrap(buf, 0, n), false);
            }
            if (!ResponseHead.line(service, false).isEmpty()) throw new ResponseHead.BadResponse("a chunk did not end with CRLF");
        }
        // trailer fields are not forwarded: few clients read them and the response head is gone already
        String trailer;
        do {
            trailer = ResponseHead.line(service, false);
        } while (!trailer.isEmpty());
        client.write(ByteBuffer.allocate(0), true);
    }

    /** A body that ends when the service closes the connection. */
    static void copyUntilClose(InputStream service, Sink client) throws IOException {
        byte[] buf = new byte[BUFFER];
        for (int n = service.read(buf); n >= 0; n = service.read(buf)) {
            if (n > 0) client.write(ByteBuffer.wrap(buf, 0, n), false);
        }
        client.write(ByteBuffer.allocate(0), true);
    }

    private static long chunkSize(String line) throws ResponseHead.BadResponse {
        int semi = line.indexOf(';');
        String hex = (semi < 0 ? line : line.substring(0, semi)).strip();
        try {
            long size = Long.parseLong(hex, 16);
            if (size < 0 || hex.length() > 15) throw new NumberFormatException();
            return size;
        } catch (NumberFormatException e) {
            throw new ResponseHead.BadResponse("the service sent a malformed chunk size '" + line + "'");
        }
    }
}
