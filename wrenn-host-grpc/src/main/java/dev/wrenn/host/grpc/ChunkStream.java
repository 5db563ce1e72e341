package dev.wrenn.host.grpc;

import dev.wrenn.host.grpc.v1.FileChunk;
import io.grpc.Context;
import java.io.IOException;
import java.util.Iterator;

/** A download call's chunks read as a stream; closing it cancels the call. */
final class ChunkStream extends ChunkedInput {
    private final RemoteHost host;
    private final Iterator<FileChunk> chunks;
    private final Context.CancellableContext call;
    ChunkStream(RemoteHost host, Iterator<FileChunk> chunks, Context.CancellableContext call) {
        this.host = host;
        this.chunks = chunks;
        this.call = call;
    }

    @Override
    protected byte[] nextChunk() throws IOException {
        try {
            return chunks.hasNext() ? FileChunks.bytes(chunks.next()) : null;
        } catch (RuntimeException e) {
            throw new IOException(host.failure(e).getMessage(), e);
        }
    }

    @Override
    public void close() {
        call.cancel(null);
    }
}
