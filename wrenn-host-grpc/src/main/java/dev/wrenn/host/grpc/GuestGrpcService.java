package dev.wrenn.host.grpc;

import dev.wrenn.host.api.Host;
import dev.wrenn.host.grpc.v1.CapsuleRef;
import dev.wrenn.host.grpc.v1.Empty;
import dev.wrenn.host.grpc.v1.FileChunk;
import dev.wrenn.host.grpc.v1.FileList;
import dev.wrenn.host.grpc.v1.FileRef;
import dev.wrenn.host.grpc.v1.FileSize;
import dev.wrenn.host.grpc.v1.GuestExec;
import dev.wrenn.host.grpc.v1.GuestServiceGrpc;
import dev.wrenn.host.grpc.v1.ListRequest;
import dev.wrenn.host.grpc.v1.PingResult;
import dev.wrenn.host.grpc.v1.ProcessInput;
import dev.wrenn.host.grpc.v1.ProcessList;
import dev.wrenn.host.grpc.v1.ProcessOutput;
import dev.wrenn.host.grpc.v1.SignalRequest;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** The agent's {@code GuestService}: each call made on the guest of the capsule it names. */
final class GuestGrpcService extends GuestServiceGrpc.GuestServiceImplBase {
    private final Host host;

    GuestGrpcService(Host host) {
        this.host = host;
    }

    @Override
    public void run(GuestExec request, StreamObserver<dev.wrenn.host.grpc.v1.ExecResult> out) {
        Calls.answer(out, () -> Wire.toWire(host.guest(request.getCapsuleId()).run(Wire.fromWire(request.getRequest()))));
    }

    @Override
    public StreamObserver<ProcessInput> start(StreamObserver<ProcessOutput> out) {
        return new ProcessCall(host, out);
    }

    @Override
    public StreamObserver<ProcessInput> attach(StreamObserver<ProcessOutput> out) {
        return new ProcessCall(host, out);
    }

    @Override
    public void startBackground(GuestExec request, StreamObserver<dev.wrenn.host.grpc.v1.ProcessInfo> out) {
        Calls.answer(out, () -> Wire.toWire(host.guest(request.getCapsuleId()).startBackground(Wire.fromWire(request.getRequest()))));
    }

    @Override
    public void processes(CapsuleRef request, StreamObserver<ProcessList> out) {
        Calls.answer(out, () -> ProcessList.newBuilder()
                .addAllProcesses(host.guest(request.getId()).processes().stream().map(Wire::toWire).toList()).build());
    }

    @Override
    public void signal(SignalRequest request, StreamObserver<Empty> out) {
        Calls.answerEmpty(out, () -> host.guest(request.getCapsuleId()).signal(request.getPidOrTag(), request.getSignal()));
    }

    @Override
    public StreamObserver<FileChunk> writeFile(StreamObserver<FileSize> out) {
        return new FileUpload((ServerCallStreamObserver<FileSize>) out, (first, data) -> host.guest(first.getFile().getCapsuleId())
                .writeFile(first.getFile().getPath(), data, first.getMode()));
    }

    @Override
    public void readFile(FileRef request, StreamObserver<FileChunk> responses) {
        ChunkSink.serve(responses, sink -> host.guest(request.getCapsuleId()).readFile(request.getPath(), sink));
    }

    @Override
    public void list(ListRequest request, StreamObserver<FileList> out) {
        Calls.answer(out, () -> FileList.newBuilder().addAllEntries(host.guest(request.getCapsuleId())
                .list(request.getPath(), request.getDepth()).stream().map(Wire::toWire).toList()).build());
    }

    @Override
    public void mkdir(FileRef request, StreamObserver<dev.wrenn.host.grpc.v1.FileEntry> out) {
        Calls.answer(out, () -> Wire.toWire(host.guest(request.getCapsuleId()).mkdir(request.getPath())));
    }

    @Override
    public void remove(FileRef request, StreamObserver<Empty> out) {
        Calls.answerEmpty(out, () -> host.guest(request.getCapsuleId()).remove(request.getPath()));
    }

    @Override
    public StreamObserver<dev.wrenn.host.grpc.v1.PortInput> openPort(StreamObserver<dev.wrenn.host.grpc.v1.PortOutput> out) {
        return new PortCall(host, out);
    }

    @Override
    public void ping(CapsuleRef request, StreamObserver<PingResult> out) {
        Calls.answer(out, () -> PingResult.newBuilder().setRoundTripNanos(host.guest(request.getId()).ping().toNanos()).build());
    }
}
