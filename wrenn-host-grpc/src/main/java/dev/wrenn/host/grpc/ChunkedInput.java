package dev.wrenn.host.grpc;

import java.io.IOException;
import java.io.InputStream;

/** An input stream over chunks that arrive one by one (a call's messages, an upload's queue). */
abstract class ChunkedInput extends InputStream {
    private byte[] current = new byte[0];
    private int at;
    private boolean ended;

    /** The next chunk, null at the end; waits for it. A failure ends the stream. */
    protected abstract byte[] nextChunk() throws IOException;

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (at == current.length) {
            if (ended) return -1;
            byte[] next;
            try {
                next = nextChunk();
            } catch (IOException e) {
                ended = true;   // once broken, the stream stays at its end
                throw e;
            }
            if (next == null) {
                ended = true;
                return -1;
            }
            current = next;
            at = 0;
        }
        int n = Math.min(len, current.length - at);
        System.arraycopy(current, at, b, off, n);
        at += n;
        return n;
    }
}
