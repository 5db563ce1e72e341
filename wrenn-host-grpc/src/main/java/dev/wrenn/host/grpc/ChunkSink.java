package dev.wrenn.host.grpc;

import dev.wrenn.host.grpc.v1.FileChunk;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.function.Consumer;

/** A file read on the agent (from a guest, of a template), sent on in chunks as the control plane takes them. */
final class ChunkSink extends OutputStream {
    private final ReadyGate<FileChunk> out;

    private ChunkSink(ReadyGate<FileChunk> out) {
        this.out = out;
    }

    /** Answers a download call with what {@code read} writes to the sink, then ends the call (or fails it). */
    static void serve(StreamObserver<FileChunk> responses, Consumer<OutputStream> read) {
        ReadyGate<FileChunk> out = new ReadyGate<>((ServerCallStreamObserver<FileChunk>) responses, () -> {});
        // not on this thread: gRPC tells the call is ready for more on it, and the sink waits for that
        Thread.ofVirtual().name("file-download").start(() -> {
            try {
                read.accept(new ChunkSink(out));
                out.complete();
            } catch (RuntimeException e) {
                out.fail(e);
            }
        });
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            for (int at = off; at < off + len; at += FileChunks.CHUNK) {
                out.send(FileChunks.of(b, at, Math.min(FileChunks.CHUNK, off + len - at)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("reading the file was interrupted");
        }
    }
}
