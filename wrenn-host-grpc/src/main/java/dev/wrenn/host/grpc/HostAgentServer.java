package dev.wrenn.host.grpc;

import dev.wrenn.host.api.Host;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host agent on the network: the host's {@code HostService} and {@code GuestService} over TLS
 * with the agent's own certificate, answering only calls that bear its call key. Calls run on threads
 * of their own: most of them wait on a VM or a guest.
 */
public final class HostAgentServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HostAgentServer.class);
    /** Large enough for any message of host.proto: files and output travel in 64 KiB chunks, exec results are capped. */
    static final int MAX_MESSAGE = 16 * 1024 * 1024;

    private final Server server;
    private final HostGrpcService hostService;
    private final ExecutorService calls;

    private HostAgentServer(Server server, HostGrpcService hostService, ExecutorService calls) {
        this.server = server;
        this.hostService = hostService;
        this.calls = calls;
    }

    /** Serves {@code host} on {@code address} (port 0: any free one). The host stays the caller's to close. */
    public static HostAgentServer start(Host host, InetSocketAddress address, AgentCertificate tls, String callKey)
            throws IOException {
        // platform threads, not virtual: a call waits on the guest, whose answer wakes it; measured on
        // 2 busy cores, a virtual thread's wake-up waited for a carrier and added 4 ms to every exec
        // (RemoteHostBenchmark: exec 5.9 ms added with virtual threads, 2.1 ms with these)
        ExecutorService calls = Executors.newCachedThreadPool(Thread.ofPlatform().name("host-call-", 0).daemon().factory());
        HostGrpcService hostService = new HostGrpcService(host);
        CallKeyCheck check = new CallKeyCheck(callKey);
        Server server = NettyServerBuilder.forAddress(address)
                .sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(tls.key(), tls.certificate())).build())
                .executor(calls)
                .maxInboundMessageSize(MAX_MESSAGE)
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .addService(ServerInterceptors.intercept(hostService, check))
                .addService(ServerInterceptors.intercept(new GuestGrpcService(host), check))
                .build()
                .start();
        log.atInfo().addKeyValue("address", address.getHostString() + ":" + server.getPort())
                .addKeyValue("certificate_sha256", tls.fingerprint()).log("host agent listening");
        return new HostAgentServer(server, hostService, calls);
    }

    public int port() {
        return server.getPort();
    }

    /** Stops taking calls and ends the ones in flight (their streams fail as the host going away). */
    @Override
    public void close() {
        hostService.close();
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        calls.shutdownNow();
    }
}
