package dev.wrenn.host.grpc;

import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.FileSet;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.grpc.v1.CapsuleList;
import dev.wrenn.host.grpc.v1.CapsuleRef;
import dev.wrenn.host.grpc.v1.CreateRequest;
import dev.wrenn.host.grpc.v1.Empty;
import dev.wrenn.host.grpc.v1.FileChunk;
import dev.wrenn.host.grpc.v1.FileSize;
import dev.wrenn.host.grpc.v1.InstallRequest;
import dev.wrenn.host.grpc.v1.StoredFileList;
import dev.wrenn.host.grpc.v1.FileSetRef;
import dev.wrenn.host.grpc.v1.SetFileRef;
import dev.wrenn.host.grpc.v1.HostServiceGrpc;
import dev.wrenn.host.grpc.v1.Names;
import dev.wrenn.host.grpc.v1.SetNetworkRequest;
import dev.wrenn.host.grpc.v1.SnapshotRequest;
import dev.wrenn.host.grpc.v1.TemplateList;
import dev.wrenn.host.grpc.v1.TemplateName;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/** The agent's {@code HostService}: each call made on the host agent it fronts. */
final class HostGrpcService extends HostServiceGrpc.HostServiceImplBase {
    private final Host host;
    private final Set<StreamObserver<dev.wrenn.host.grpc.v1.CapsuleState>> watchers = new CopyOnWriteArraySet<>();

    HostGrpcService(Host host) {
        this.host = host;
        host.onVmExit(this::tellWatchers);
    }

    @Override
    public void info(Empty request, StreamObserver<dev.wrenn.host.grpc.v1.HostInfo> out) {
        Calls.answer(out, () -> Wire.toWire(host.info()));
    }

    @Override
    public void capacity(Empty request, StreamObserver<dev.wrenn.host.grpc.v1.HostCapacity> out) {
        Calls.answer(out, () -> Wire.toWire(host.capacity()));
    }

    @Override
    public void builtInTemplates(Empty request, StreamObserver<Names> out) {
        Calls.answer(out, () -> Names.newBuilder().addAllNames(host.builtInTemplates()).build());
    }

    @Override
    public void prepareBuiltIn(TemplateName request, StreamObserver<Empty> out) {
        Calls.answerEmpty(out, () -> host.prepareBuiltIn(request.getName()));
    }

    @Override
    public void templates(Empty request, StreamObserver<TemplateList> out) {
        Calls.answer(out, () -> TemplateList.newBuilder()
                .addAllTemplates(host.templates().stream().map(Wire::toWire).toList()).build());
    }

    @Override
    public void getTemplate(TemplateName request, StreamObserver<dev.wrenn.host.grpc.v1.TemplateInfo> out) {
        Calls.answer(out, () -> Wire.toWire(host.template(request.getName()).orElseThrow(
                () -> new HostException(HostError.NOT_FOUND, "no template " + request.getName()))));
    }

    @Override
    public void deleteTemplate(TemplateName request, StreamObserver<Empty> out) {
        Calls.answerEmpty(out, () -> host.deleteTemplate(request.getName()));
    }

    @Override
    public void files(FileSetRef request, StreamObserver<StoredFileList> out) {
        Calls.answer(out, () -> StoredFileList.newBuilder()
                .addAllFiles(host.files(Wire.fromWire(request)).stream().map(Wire::toWire).toList()).build());
    }

    @Override
    public void readSetFile(SetFileRef request, StreamObserver<FileChunk> responses) {
        FileSet set = Wire.fromWire(request.getSet());
        ChunkSink.serve(responses, sink -> {
            try (InputStream in = host.openFile(set, request.getFile(), request.getOffset())) {
                in.transferTo(sink);
            } catch (IOException e) {
                throw new HostException(HostError.HOST_FAILURE, "reading " + request.getFile() + " of " + set + " failed: "
                        + e.getMessage(), e);
            }
        });
    }

    @Override
    public void heldBytes(dev.wrenn.host.grpc.v1.StoredFile request, StreamObserver<FileSize> out) {
        Calls.answer(out, () -> FileSize.newBuilder().setSize(host.heldBytes(Wire.fromWire(request))).build());
    }

    @Override
    public StreamObserver<FileChunk> receive(StreamObserver<FileSize> out) {
        return new FileUpload((ServerCallStreamObserver<FileSize>) out,
                (first, data) -> host.receive(Wire.fromWire(first.getStored()), first.getOffset(), data));
    }

    @Override
    public void install(InstallRequest request, StreamObserver<Empty> out) {
        Calls.answerEmpty(out, () -> host.install(Wire.fromWire(request.getSet()),
                request.getFilesList().stream().map(Wire::fromWire).toList()));
    }

    @Override
    public void create(CreateRequest request, StreamObserver<dev.wrenn.host.grpc.v1.CapsuleState> out) {
        Calls.answer(out, () -> Wire.toWire(host.create(request.getId(), request.getTemplate(),
                request.hasVcpus() ? request.getVcpus() : null, request.hasMemoryMb() ? request.getMemoryMb() : null,
                Wire.fromWire(request.getNetwork()))));
    }

    @Override
    public void pause(CapsuleRef request, StreamObserver<dev.wrenn.host.grpc.v1.CapsuleState> out) {
        Calls.answer(out, () -> Wire.toWire(host.pause(request.getId())));
    }

    @Override
    public void resume(CapsuleRef request, StreamObserver<dev.wrenn.host.grpc.v1.CapsuleState> out) {
        Calls.answer(out, () -> Wire.toWire(host.resume(request.getId())));
    }

    @Override
    public void destroy(CapsuleRef request, StreamObserver<Empty> out) {
        Calls.answerEmpty(out, () -> host.destroy(request.getId()));
    }

    @Override
    public void snapshot(SnapshotRequest request, StreamObserver<dev.wrenn.host.grpc.v1.TemplateInfo> out) {
        Calls.answer(out, () -> Wire.toWire(host.snapshot(request.getId(), request.getTemplateName(), request.getOverwrite())));
    }

    @Override
    public void getCapsule(CapsuleRef request, StreamObserver<dev.wrenn.host.grpc.v1.CapsuleState> out) {
        Calls.answer(out, () -> Wire.toWire(host.capsule(request.getId()).orElseThrow(
                () -> new HostException(HostError.NOT_FOUND, "no capsule " + request.getId() + " on this host"))));
    }

    @Override
    public void capsules(Empty request, StreamObserver<CapsuleList> out) {
        Calls.answer(out, () -> CapsuleList.newBuilder()
                .addAllCapsules(host.capsules().stream().map(Wire::toWire).toList()).build());
    }

    @Override
    public void setNetwork(SetNetworkRequest request, StreamObserver<Empty> out) {
        Calls.answerEmpty(out, () -> host.setNetwork(request.getId(), Wire.fromWire(request.getNetwork())));
    }

    @Override
    public void watchVmExits(Empty request, StreamObserver<dev.wrenn.host.grpc.v1.CapsuleState> out) {
        var call = (ServerCallStreamObserver<dev.wrenn.host.grpc.v1.CapsuleState>) out;
        call.setOnCancelHandler(() -> watchers.remove(out));
        watchers.add(out);
    }

    private void tellWatchers(CapsuleState state) {
        var message = Wire.toWire(state);
        for (StreamObserver<dev.wrenn.host.grpc.v1.CapsuleState> w : List.copyOf(watchers)) {
            synchronized (w) {
                try {
                    w.onNext(message);
                } catch (RuntimeException cancelled) {
                    watchers.remove(w);
                }
            }
        }
    }

    /** Ends the watch streams so that control planes notice the agent going away at once. */
    void close() {
        for (StreamObserver<dev.wrenn.host.grpc.v1.CapsuleState> w : List.copyOf(watchers)) {
            synchronized (w) {
                try {
                    w.onError(WireErrors.toStatus(new HostException(HostError.HOST_UNREACHABLE, "the host agent is stopping")));
                } catch (RuntimeException alreadyGone) {
                    // the control plane cancelled meanwhile
                }
            }
        }
        watchers.clear();
    }
}
