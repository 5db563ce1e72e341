package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.grpc.AgentCertificate;
import dev.wrenn.host.grpc.HostAgentServer;
import dev.wrenn.host.grpc.HostCredential;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.hosts.HostRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Admission on a host behind gRPC, where reading its capacity is a call over the wire: creates that
 * follow each other closely reuse one reading, counting the capsules started since as taking memory,
 * so a host is never promised more than it has, and a refusal rests on what the host says at that
 * moment. The host is in memory (its memory a number a test sets) behind the real agent server.
 */
class RemoteAdmissionTest {
    @Test
    void closeCreatesShareAReadingOfARemoteHostAndStillStopAtItsMemory() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-remote-admission-");
        InMemoryHost host = new InMemoryHost();
        try (WrennServer server = WrennServer.start(ServerConfig.builder(dir.resolve("cp")).bindHost("127.0.0.1").port(0)
                .prepareTemplates(false).memoryReserveMb(500).hostSilentAfter(Duration.ofMinutes(5)).build(), null)) {
            HostRegistry registry = server.hosts();
            String token = registry.add("in-memory").token();
            AgentCertificate tls = AgentCertificate.inDir(dir.resolve("tls"));
            try (HostAgentServer agent = HostAgentServer.start(host, new InetSocketAddress("127.0.0.1", 0), tls,
                    HostCredential.callKey(token))) {
                registry.register(token, new HostRegistry.Registration("127.0.0.1", agent.port(), tls.pem(), "qemu", "tcg",
                        host.capacity()), "127.0.0.1");
                Api api = new Api("http://127.0.0.1:" + server.port(), server.firstKey().orElseThrow());
                host.memoryMb(500 + 3 * InMemoryHost.VM_MEMORY_MB);   // room for three capsules beside the reserve
                int readsBefore = host.capacityReads();

                for (int i = 0; i < 3; i++) api.createRunning();
                Response fourth = api.post("/capsules", "{}");
                assertEquals(503, fourth.status(), fourth::toString);
                assertEquals("no_capacity", fourth.errorCode());
                assertTrue(fourth.message().contains("500 MiB free"), "the refusal names the host's memory now: " + fourth.message());

                int reads = host.capacityReads() - readsBefore;
                assertTrue(reads < 4, "four admissions within seconds read the host " + reads + " times");
            }
        } finally {
            FileOps.deleteTree(dir);
        }
    }
}
