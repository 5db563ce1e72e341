package dev.wrenn.host.grpc;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.grpc.v1.FileChunk;
import dev.wrenn.host.grpc.v1.FileSize;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;

/** The control plane's side of an upload call (a guest file write, a template file sent to a host). */
final class Upload {
    private Upload() {}

    /**
     * Sends {@code first} (which says where the data goes), then {@code data} in chunks as the agent
     * takes them; answers the size the agent reports.
     *
     * @param start opens the call with its answer observer
     * @param what  what is uploaded, for messages
     */
    static long send(RemoteHost host, Function<StreamObserver<FileSize>, StreamObserver<FileChunk>> start, FileChunk first,
                     InputStream data, String what) {
        Answers<FileChunk, FileSize> upload = new Answers<>();
        start.apply(upload);
        try {
            try {
                upload.send(first);
                byte[] buf = new byte[FileChunks.CHUNK];
                int n;
                while ((n = data.readNBytes(buf, 0, buf.length)) > 0 && upload.nothingWaiting()) {
                    upload.send(FileChunks.of(buf, 0, n));
                }
                if (upload.nothingWaiting()) upload.finish();
            } catch (HostException stopped) {
                if (upload.nothingWaiting()) throw stopped;   // else the agent's answer says why it stopped taking data
            }
            Object answer = upload.take();
            if (answer instanceof FileSize size) return size.getSize();
            if (answer instanceof Throwable t) throw host.failure(t);
            throw new HostException(HostError.AGENT_FAILURE, "host " + host.name() + " ended the upload of " + what
                    + " without its size");
        } catch (IOException e) {
            upload.cancel("reading the data to send failed", null);
            throw new HostException(HostError.HOST_FAILURE, "reading the data for " + what + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            upload.cancel("interrupted", null);
            Thread.currentThread().interrupt();
            throw new HostException(HostError.STREAM_CLOSED, "sending " + what + " was interrupted");
        }
    }
}
