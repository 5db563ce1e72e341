package dev.wrenn.host.grpc;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.host.api.FileEntry;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.ProcessInfo;
import dev.wrenn.host.api.ProcessStream;
import dev.wrenn.host.grpc.v1.AttachRequest;
import dev.wrenn.host.grpc.v1.CapsuleRef;
import dev.wrenn.host.grpc.v1.FileChunk;
import dev.wrenn.host.grpc.v1.FileRef;
import dev.wrenn.host.grpc.v1.GuestExec;
import dev.wrenn.host.grpc.v1.ListRequest;
import dev.wrenn.host.grpc.v1.ProcessInput;
import dev.wrenn.host.grpc.v1.SignalRequest;
import io.grpc.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;

/** The guest of a capsule on another host: each call one call of its {@code GuestService}. */
final class RemoteGuest implements Guest {
    private final RemoteHost host;
    private final String capsuleId;

    RemoteGuest(RemoteHost host, String capsuleId) {
        this.host = host;
        this.capsuleId = capsuleId;
    }

    @Override
    public ExecResult run(ExecRequest request) {
        Duration deadline = request.timeout().isZero() ? null : request.timeout().plus(RemoteHost.QUICK);
        return host.call(() -> Wire.fromWire(host.guestStub(deadline).run(exec(request))));
    }

    @Override
    public ProcessStream start(ExecRequest request) {
        return RemoteProcessStream.open(host, host.guestAsync()::start,
                ProcessInput.newBuilder().setStart(exec(request)).build());
    }

    @Override
    public ProcessInfo startBackground(ExecRequest request) {
        return host.call(() -> Wire.fromWire(host.guestStub(RemoteHost.QUICK).startBackground(exec(request))));
    }

    @Override
    public ProcessStream attach(String pidOrTag, boolean replay) {
        return RemoteProcessStream.open(host, host.guestAsync()::attach, ProcessInput.newBuilder()
                .setAttach(AttachRequest.newBuilder().setCapsuleId(capsuleId).setPidOrTag(pidOrTag).setReplay(replay))
                .build());
    }

    @Override
    public List<ProcessInfo> processes() {
        return host.call(() -> host.guestStub(RemoteHost.QUICK).processes(ref()).getProcessesList().stream()
                .map(Wire::fromWire).toList());
    }

    @Override
    public void signal(String pidOrTag, int signal) {
        host.call(() -> host.guestStub(RemoteHost.QUICK).signal(SignalRequest.newBuilder().setCapsuleId(capsuleId)
                .setPidOrTag(pidOrTag).setSignal(signal).build()));
    }

    @Override
    public long writeFile(String path, InputStream data, int mode) {
        return Upload.send(host, host.guestAsync()::writeFile, FileChunk.newBuilder().setFile(file(path)).setMode(mode).build(),
                data, path);
    }

    @Override
    public long readFile(String path, OutputStream sink) {
        Context.CancellableContext call = Context.current().withCancellation();
        try {
            return call.call(() -> {
                long total = 0;
                Iterator<FileChunk> chunks = host.guestStub(null).readFile(file(path));
                while (chunks.hasNext()) {
                    byte[] data = FileChunks.bytes(chunks.next());
                    sink.write(data);
                    total += data.length;
                }
                return total;
            });
        } catch (IOException e) {
            throw new HostException(HostError.HOST_FAILURE, "writing what was read of " + path + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw host.failure(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            call.cancel(null);
        }
    }

    @Override
    public List<FileEntry> list(String path, int depth) {
        return host.call(() -> host.guestStub(RemoteHost.QUICK).list(ListRequest.newBuilder().setCapsuleId(capsuleId)
                .setPath(path).setDepth(depth).build()).getEntriesList().stream().map(Wire::fromWire).toList());
    }

    @Override
    public FileEntry mkdir(String path) {
        return host.call(() -> Wire.fromWire(host.guestStub(RemoteHost.QUICK).mkdir(file(path))));
    }

    @Override
    public void remove(String path) {
        host.call(() -> host.guestStub(RemoteHost.QUICK).remove(file(path)));
    }

    @Override
    public Duration ping() {
        return host.call(() -> Duration.ofNanos(host.guestStub(RemoteHost.QUICK).ping(ref()).getRoundTripNanos()));
    }

    private GuestExec exec(ExecRequest request) {
        return GuestExec.newBuilder().setCapsuleId(capsuleId).setRequest(Wire.toWire(request)).build();
    }

    private CapsuleRef ref() {
        return CapsuleRef.newBuilder().setId(capsuleId).build();
    }

    private FileRef file(String path) {
        return FileRef.newBuilder().setCapsuleId(capsuleId).setPath(path).build();
    }
}
