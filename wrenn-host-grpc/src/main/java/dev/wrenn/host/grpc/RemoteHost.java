package dev.wrenn.host.grpc;

import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.FileSet;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.HostInfo;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.PortStream;
import dev.wrenn.host.api.StoredFile;
import dev.wrenn.host.api.TemplateInfo;
import dev.wrenn.host.grpc.v1.CapsuleRef;
import dev.wrenn.host.grpc.v1.CreateRequest;
import dev.wrenn.host.grpc.v1.Empty;
import dev.wrenn.host.grpc.v1.FileChunk;
import dev.wrenn.host.grpc.v1.GuestServiceGrpc;
import dev.wrenn.host.grpc.v1.HostServiceGrpc;
import dev.wrenn.host.grpc.v1.InstallRequest;
import dev.wrenn.host.grpc.v1.SetNetworkRequest;
import dev.wrenn.host.grpc.v1.SnapshotRequest;
import dev.wrenn.host.grpc.v1.SetFileRef;
import dev.wrenn.host.grpc.v1.TemplateName;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host on another machine, called over gRPC (host.proto): TLS that trusts only the certificate
 * the agent registered with, and its call key on every call. Failures arrive as the same
 * {@link HostException}s the host raised; a host that cannot be reached raises
 * {@link HostError#HOST_UNREACHABLE}. Every call has a deadline, and keepalives find a dead
 * connection within seconds even while nothing is asked.
 */
public final class RemoteHost implements Host {
    private static final Logger log = LoggerFactory.getLogger(RemoteHost.class);
    /** Reads and small changes. */
    static final Duration QUICK = Duration.ofSeconds(30);
    /** Create, pause, resume, snapshot: bounded by the host's own timeouts, this only catches a host that hangs. */
    static final Duration LIFECYCLE = Duration.ofMinutes(10);
    /** Building and booting a built-in template on a fresh host. */
    static final Duration PREPARE = Duration.ofMinutes(60);
    private static final Duration WATCH_RETRY = Duration.ofSeconds(1);

    private final String name;
    private final ManagedChannel channel;
    private final CallKeyCredentials credentials;
    private final List<Consumer<CapsuleState>> exitListeners = new CopyOnWriteArrayList<>();
    private volatile ClientCallStreamObserver<Empty> watch;
    private volatile boolean closed;

    private RemoteHost(String name, ManagedChannel channel, String callKey) {
        this.name = name;
        this.channel = channel;
        this.credentials = new CallKeyCredentials(callKey);
    }

    /**
     * A host at {@code address} whose agent presents {@code certificate}. Connects lazily: a host
     * that is down now is reachable once it is back.
     *
     * @param name what messages call the host (its id)
     */
    public static RemoteHost connect(String name, InetSocketAddress address, X509Certificate certificate, String callKey) {
        try {
            ManagedChannel channel = NettyChannelBuilder.forAddress(address)
                    .sslContext(GrpcSslContexts.forClient().trustManager(certificate).build())
                    .overrideAuthority(AgentCertificate.AUTHORITY)
                    .maxInboundMessageSize(HostAgentServer.MAX_MESSAGE)
                    .keepAliveTime(10, TimeUnit.SECONDS)
                    .keepAliveTimeout(5, TimeUnit.SECONDS)
                    .keepAliveWithoutCalls(true)
                    .build();
            return new RemoteHost(name, channel, callKey);
        } catch (SSLException e) {
            throw new IllegalArgumentException("host " + name + ": its certificate cannot be used: " + e.getMessage(), e);
        }
    }

    /** Connects at the next call without waiting out the back-off of earlier failures (the agent is known to be back). */
    public void reconnectNow() {
        channel.resetConnectBackoff();
    }

    String name() {
        return name;
    }

    <T> T call(Supplier<T> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            throw failure(e);
        }
    }

    /**
     * A failed call as the host's error. When the host was unreachable the channel tries to connect
     * again at the next call instead of after its back-off: an agent that is back is used at once.
     */
    HostException failure(Throwable callFailure) {
        HostException e = WireErrors.fromStatus(callFailure, name);
        if (e.error() == HostError.HOST_UNREACHABLE) channel.resetConnectBackoff();
        return e;
    }

    private HostServiceGrpc.HostServiceBlockingStub hostStub(Duration deadline) {
        return HostServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** @param deadline null: none (a command without a time limit, a file as long as it takes) */
    GuestServiceGrpc.GuestServiceBlockingStub guestStub(Duration deadline) {
        var stub = GuestServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials);
        return deadline == null ? stub : stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    GuestServiceGrpc.GuestServiceStub guestAsync() {
        return GuestServiceGrpc.newStub(channel).withCallCredentials(credentials);
    }

    private static Empty empty() {
        return Empty.getDefaultInstance();
    }

    private static CapsuleRef ref(String id) {
        return CapsuleRef.newBuilder().setId(id).build();
    }

    private static TemplateName templateName(String name) {
        return TemplateName.newBuilder().setName(name).build();
    }

    @Override
    public HostInfo info() {
        return call(() -> Wire.fromWire(hostStub(QUICK).info(empty())));
    }

    @Override
    public HostCapacity capacity() {
        return call(() -> Wire.fromWire(hostStub(QUICK).capacity(empty())));
    }

    @Override
    public Set<String> builtInTemplates() {
        return call(() -> new LinkedHashSet<>(hostStub(QUICK).builtInTemplates(empty()).getNamesList()));
    }

    @Override
    public void prepareBuiltIn(String template) {
        call(() -> hostStub(PREPARE).prepareBuiltIn(templateName(template)));
    }

    @Override
    public List<TemplateInfo> templates() {
        return call(() -> hostStub(QUICK).templates(empty()).getTemplatesList().stream().map(Wire::fromWire).toList());
    }

    @Override
    public Optional<TemplateInfo> template(String template) {
        return absentIfNotFound(() -> Wire.fromWire(hostStub(QUICK).getTemplate(templateName(template))));
    }

    @Override
    public void deleteTemplate(String template) {
        call(() -> hostStub(QUICK).deleteTemplate(templateName(template)));
    }

    @Override
    public List<StoredFile> files(FileSet set) {
        return call(() -> hostStub(QUICK).files(Wire.toWire(set)).getFilesList().stream().map(Wire::fromWire).toList());
    }

    @Override
    public InputStream openFile(FileSet set, String file, long offset) {
        Context.CancellableContext call = Context.current().withCancellation();
        try {
            Iterator<FileChunk> chunks = call.call(() -> HostServiceGrpc.newBlockingStub(channel).withCallCredentials(credentials)
                    .readSetFile(SetFileRef.newBuilder().setSet(Wire.toWire(set)).setFile(file).setOffset(offset).build()));
            return new ChunkStream(this, chunks, call);
        } catch (Exception e) {
            call.cancel(null);
            throw failure(e);
        }
    }

    @Override
    public long heldBytes(StoredFile file) {
        return call(() -> hostStub(QUICK).heldBytes(Wire.toWire(file)).getSize());
    }

    @Override
    public long receive(StoredFile file, long offset, InputStream data) {
        return Upload.send(this, HostServiceGrpc.newStub(channel).withCallCredentials(credentials)::receive,
                FileChunk.newBuilder().setStored(Wire.toWire(file)).setOffset(offset).build(), data, file.name());
    }

    @Override
    public void install(FileSet set, List<StoredFile> files) {
        call(() -> hostStub(LIFECYCLE).install(InstallRequest.newBuilder().setSet(Wire.toWire(set))
                .addAllFiles(files.stream().map(Wire::toWire).toList()).build()));
    }

    @Override
    public CapsuleState create(String id, String template, Integer vcpus, Integer memoryMb, NetworkPolicy network) {
        var request = CreateRequest.newBuilder().setId(id).setTemplate(template).setNetwork(Wire.toWire(network));
        if (vcpus != null) request.setVcpus(vcpus);
        if (memoryMb != null) request.setMemoryMb(memoryMb);
        return call(() -> Wire.fromWire(hostStub(LIFECYCLE).create(request.build())));
    }

    @Override
    public CapsuleState pause(String id) {
        return call(() -> Wire.fromWire(hostStub(LIFECYCLE).pause(ref(id))));
    }

    @Override
    public CapsuleState resume(String id) {
        return call(() -> Wire.fromWire(hostStub(LIFECYCLE).resume(ref(id))));
    }

    @Override
    public void destroy(String id) {
        call(() -> hostStub(LIFECYCLE).destroy(ref(id)));
    }

    @Override
    public TemplateInfo snapshot(String id, String templateName, boolean overwrite) {
        return call(() -> Wire.fromWire(hostStub(LIFECYCLE).snapshot(SnapshotRequest.newBuilder().setId(id)
                .setTemplateName(templateName).setOverwrite(overwrite).build())));
    }

    @Override
    public Optional<CapsuleState> capsule(String id) {
        return absentIfNotFound(() -> Wire.fromWire(hostStub(QUICK).getCapsule(ref(id))));
    }

    @Override
    public List<CapsuleState> capsules() {
        return call(() -> hostStub(QUICK).capsules(empty()).getCapsulesList().stream().map(Wire::fromWire).toList());
    }

    @Override
    public void setNetwork(String id, NetworkPolicy network) {
        call(() -> hostStub(QUICK).setNetwork(SetNetworkRequest.newBuilder().setId(id).setNetwork(Wire.toWire(network)).build()));
    }

    @Override
    public PortStream openPort(String id, int port, Duration connectTimeout) {
        return RemotePortStream.open(this, id, port, connectTimeout);
    }

    @Override
    public void onVmExit(Consumer<CapsuleState> listener) {
        exitListeners.add(listener);
        synchronized (this) {
            if (watch == null && !closed) watchExits();
        }
    }

    /** Follows the agent's VM exits, calling again after a broken call: exits while it was down are found by reconciling. */
    private void watchExits() {
        HostServiceGrpc.newStub(channel).withCallCredentials(credentials).withWaitForReady()
                .watchVmExits(empty(), new ClientResponseObserver<Empty, dev.wrenn.host.grpc.v1.CapsuleState>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<Empty> call) {
                        watch = call;
                    }

                    @Override
                    public void onNext(dev.wrenn.host.grpc.v1.CapsuleState state) {
                        CapsuleState s = Wire.fromWire(state);
                        for (Consumer<CapsuleState> l : exitListeners) {
                            try {
                                l.accept(s);
                            } catch (RuntimeException e) {
                                log.atError().addKeyValue("host", name).addKeyValue("capsule", s.id()).setCause(e)
                                        .log("a VM exit listener failed");
                            }
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        rewatch();
                    }

                    @Override
                    public void onCompleted() {
                        rewatch();
                    }
                });
    }

    private void rewatch() {
        if (closed) return;
        Thread.ofVirtual().name("watch-" + name).start(() -> {
            try {
                Thread.sleep(WATCH_RETRY);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (!closed) watchExits();
            }
        });
    }

    @Override
    public Guest guest(String capsuleId) {
        return new RemoteGuest(this, capsuleId);
    }

    /** Ends the connection; the host and its capsules run on. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (watch != null) watch.cancel("the control plane lets go of the host", null);
        }
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private <T> Optional<T> absentIfNotFound(Supplier<T> call) {
        try {
            return Optional.of(call(call));
        } catch (HostException e) {
            if (e.error() == HostError.NOT_FOUND) return Optional.empty();
            throw e;
        }
    }
}
