package dev.wrenn.host.grpc;

import dev.wrenn.host.grpc.v1.FileChunk;
import io.grpc.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;

/** A download call's chunks read as a stream; closing it cancels the call. */
final class ChunkStream extends InputStream {
    private final RemoteHost host;
    private final Iterator<FileChunk> chunks;
    private final Context.CancellableContext call;
    private byte[] current = new byte[0];
    private int at;

    ChunkStream(RemoteHost host, Iterator<FileChunk> chunks, Context.CancellableContext call) {
        this.host = host;
        this.chunks = chunks;
        this.call = call;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        try {
            while (at == current.length) {
                if (!chunks.hasNext()) return -1;
                current = FileChunks.bytes(chunks.next());
                at = 0;
            }
        } catch (RuntimeException e) {
            throw new IOException(host.failure(e).getMessage(), e);
        }
        int n = Math.min(len, current.length - at);
        System.arraycopy(current, at, b, off, n);
        at += n;
        return n;
    }

    @Override
    public void close() {
        call.cancel(null);
    }
}
