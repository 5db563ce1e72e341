package dev.wrenn.host.grpc;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.grpc.v1.FileChunk;
import dev.wrenn.host.grpc.v1.FileSize;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The agent's side of one upload call (a guest's WriteFile, a template file's Receive): chunks as
 * they arrive become the input stream the write pulls from. The queue between them is short and a full one holds the call's next message
 * back, so an upload never sits in the agent's memory; a call that breaks off fails the write,
 * which leaves the old file.
 */
final class FileUpload implements StreamObserver<FileChunk> {
    private static final int QUEUED_CHUNKS = 4;
    private static final byte[] END = new byte[0];

    /** Where an upload goes: its first chunk says where, the data follows; answers the size written. */
    @FunctionalInterface
    interface Target {
        long write(FileChunk first, InputStream data);
    }

    private final Target target;
    private final ServerCallStreamObserver<FileSize> out;
    private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
    private volatile boolean started;
    private volatile boolean finished;
    private volatile String brokenOff;

    FileUpload(ServerCallStreamObserver<FileSize> out, Target target) {
        this.target = target;
        this.out = out;
        out.setOnCancelHandler(() -> breakOff("the upload was cancelled"));
    }

    @Override
    public void onNext(FileChunk chunk) {
        if (!started) {
            started = true;
            FileChunk first = chunk.toBuilder().clearData().build();
            Thread.ofVirtual().name("file-upload").start(() -> write(first));
        }
        byte[] data;
        try {
            data = FileChunks.bytes(chunk);
        } catch (HostException bad) {
            breakOff(bad.getMessage());
            return;
        }
        if (data.length > 0) queue(data);
    }

    private void queue(byte[] data) {
        try {
            while (!finished && !chunks.offer(data, 100, TimeUnit.MILLISECONDS)) {
                // the guest takes the earlier chunks
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            breakOff("interrupted");
        }
    }

    private void write(FileChunk first) {
        try {
            long size = target.write(first, new Chunks());
            finished = true;
            out.onNext(FileSize.newBuilder().setSize(size).build());
            out.onCompleted();
        } catch (RuntimeException e) {
            finished = true;
            chunks.clear();
            if (!out.isCancelled()) out.onError(WireErrors.toStatus(e));
        }
    }

    @Override
    public void onError(Throwable t) {
        breakOff("the upload broke off: " + t.getMessage());
    }

    @Override
    public void onCompleted() {
        if (!started) {
            out.onError(WireErrors.toStatus(new HostException(HostError.INVALID_ARGUMENT, "an upload names its file first")));
            return;
        }
        queue(END);
    }

    private void breakOff(String why) {
        brokenOff = why;
        chunks.clear();
        chunks.offer(END);
    }

    /** The upload as the write reads it. */
    private final class Chunks extends ChunkedInput {
        @Override
        protected byte[] nextChunk() throws IOException {
            byte[] next;
            try {
                next = chunks.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("the upload was interrupted");
            }
            if (next != END) return next;
            if (brokenOff != null) throw new IOException(brokenOff);
            return null;
        }
    }
}
