package dev.wrenn.server;

import dev.wrenn.host.HostAgent;
import dev.wrenn.host.HostConfig;
import dev.wrenn.host.api.TemplateInfo;
import dev.wrenn.host.grpc.AgentCertificate;
import dev.wrenn.host.grpc.HostAgentServer;
import dev.wrenn.host.grpc.HostCredential;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.server.hosts.HostRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A host agent in this JVM on a data dir of its own, behind its gRPC server on loopback, added to a
 * control plane's registry and registered as {@code wrenn agent} would (without heartbeats: give the
 * control plane a long --host-timeout-sec).
 */
record TestAgent(String name, Path dir, HostAgent host, HostAgentServer server) implements AutoCloseable {
    static TestAgent start(String name, HostRegistry registry, int warmPool) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-agent-" + name + "-");
        HostAgent host = HostAgent.start(HostConfig.defaults(dir, TestServer.repoDir()).withWarmPool(warmPool));
        String registered = name + "-" + System.nanoTime();
        String token = registry.add(registered).token();
        AgentCertificate tls = AgentCertificate.inDir(dir.resolve("tls"));
        HostAgentServer server = HostAgentServer.start(host, new InetSocketAddress("127.0.0.1", 0), tls,
                HostCredential.callKey(token));
        registry.register(token, new HostRegistry.Registration("127.0.0.1", server.port(), tls.pem(), "qemu",
                host.info().accelerator(), host.capacity()), "127.0.0.1");
        return new TestAgent(registered, dir, host, server);
    }

    List<String> snapshotTemplates() {
        return host.templates().stream().filter(t -> !t.builtIn()).map(TemplateInfo::name).toList();
    }

    @Override
    public void close() {
        server.close();
        host.capsules().forEach(c -> host.destroy(c.id()));
        host.close();
        FileOps.deleteTree(dir);
    }
}
