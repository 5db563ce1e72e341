package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.PortStream;
import dev.wrenn.host.net.NetworkSlot;
import dev.wrenn.host.vmm.VmSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Capsule networking seen from inside capsules: egress by default, policy by CIDR and by domain
 * (changed at runtime), isolation from the host and from other capsules, spoofing, the connection
 * bound, pause/resume and snapshots. Traffic goes only to {@link TestPeer} on this machine and to
 * Debian's package mirror (one {@code Release} file).
 */
class NetworkTest {
    private static final String DEBIAN = "http://deb.debian.org/debian/dists/bookworm/Release";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static HostAgent host;
    private static TestPeer peer;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.agent();
        peer = TestPeer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        peer.close();
    }

    @Test
    void byDefaultCapsulesReachTheInternetByNameAtOnceButNotTheHostsPrivateNetworks() throws Exception {
        String a = TestHost.create("minimal");
        String b = TestHost.create("minimal");
        try {
            CompletableFuture<String> fromA = CompletableFuture.supplyAsync(() -> status(a, DEBIAN));
            CompletableFuture<String> fromB = CompletableFuture.supplyAsync(() -> status(b, DEBIAN));
            assertEquals("200", fromA.get(), "capsule a fetching " + DEBIAN);
            assertEquals("200", fromB.get(), "capsule b fetching " + DEBIAN);
            assertEquals("000", status(a, TestPeer.url("/hello")), "a private network must be closed by default");

            String macA = TestHost.out(a, "cat /sys/class/net/eth0/address");
            String macB = TestHost.out(b, "cat /sys/class/net/eth0/address");
            assertNotEquals(macA, macB);
            assertNotEquals(VmSpec.TEMPLATE_MAC, macA);
        } finally {
            host.destroy(a);
            host.destroy(b);
        }
    }

    @Test
    void allowOutOpensANetworkDenyOutWinsAndChangesApplyAtOnce() {
        String id = TestHost.create("minimal");
        try {
            host.setNetwork(id, NetworkPolicy.of(true, List.of(TestPeer.NETWORK), List.of()));
            assertEquals("200", status(id, TestPeer.url("/hello")));
            assertEquals("peer 10.99.0.254", TestHost.out(id, "curl -sS -m 5 " + TestPeer.url("/hello")),
                    "the capsule's traffic must leave the host masqueraded");

            host.setNetwork(id, NetworkPolicy.of(true, List.of(TestPeer.NETWORK), List.of(TestPeer.ADDRESS)));
            assertEquals("000", status(id, TestPeer.url("/hello")), "deny_out must win over allow_out");

            host.setNetwork(id, NetworkPolicy.of(false, List.of(TestPeer.ADDRESS), List.of()));
            assertEquals("200", status(id, TestPeer.url("/hello")));
            assertEquals("000", status(id, DEBIAN), "without allow_internet only allow_out is reachable");
            assertEquals(2, TestHost.sh(id, "getent hosts deb.debian.org").exitCode(),
                    "names that allow_out does not list do not resolve without allow_internet");
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void domainsAreMatchedByTheNamesACapsuleResolves() {
        String id = TestHost.newId();
        host.create(id, "minimal", null, null, NetworkPolicy.of(false, List.of("deb.debian.org"), List.of()));
        try {
            assertEquals("200", status(id, DEBIAN), "an allowed name must resolve and be reachable");
            assertEquals("000", status(id, TestPeer.url("/hello")));
            assertEquals(2, TestHost.sh(id, "getent hosts example.com").exitCode());

            host.setNetwork(id, NetworkPolicy.of(true, List.of(), List.of("deb.debian.org")));
            assertEquals(2, TestHost.sh(id, "getent hosts deb.debian.org").exitCode(), "a denied name must not resolve");
            assertEquals("000", status(id, DEBIAN));
        } finally {
            host.destroy(id);
        }
    }

    @Test
    void nothingOfTheHostOrOfOtherCapsulesIsReachableWhateverThePolicy() throws Exception {
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket service = new ServerSocket()) {
            service.bind(new InetSocketAddress("0.0.0.0", 0));
            Thread.ofVirtual().start(() -> {
                while (true) {
                    try {
                        service.accept().close();
                        accepted.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            int port = service.getLocalPort();
            String a = TestHost.newId();
            host.create(a, "minimal", null, null, NetworkPolicy.of(true, List.of("0.0.0.0/0"), List.of()));
            String b = TestHost.create("base-python");
            try {
                TestHost.sh(b, "cd /tmp && nohup python3 -m http.server 8000 >/dev/null 2>&1 &");
                InetSocketAddress bPort = host.portAddress(b, 8000);
                awaitHttp(bPort);
                InetSocketAddress aPort = host.portAddress(a, 8000);

                List<String> targets = new ArrayList<>();
                for (String own : hostAddresses()) targets.add(own + ":" + port);
                targets.add("169.254.0.22:" + port);                                   // the capsule's gateway
                targets.add(hostSide(aPort) + ":" + port);                             // the host's end of its veth
                targets.add(bPort.getHostString() + ":8000");                          // another capsule
                targets.add(hostSide(bPort) + ":8000");
                targets.add("169.254.169.254:80");                                     // metadata
                targets.add(TestPeer.HOST_SIDE + ":" + port);
                // all probed at once: each blocked one waits out curl's 3 s, as packets are dropped
                StringBuilder probes = new StringBuilder();
                for (String t : targets) {
                    probes.append("curl -s -m 3 -o /dev/null -w '").append(t).append(" %{http_code}\\n' http://").append(t)
                            .append("/ & ");
                }
                String answers = TestHost.sh(a, probes + "wait").stdoutText();
                for (String t : targets) {
                    assertTrue(answers.contains(t + " 000\n"), "a capsule reached " + t + ": " + answers);
                }
                assertEquals(0, accepted.get(), "a host service accepted a connection from a capsule");
                assertEquals("200", status(a, TestPeer.url("/hello")), "allow_out 0.0.0.0/0 opens the peer");

                TestHost.out(a, "ip addr add 169.254.0.25/30 dev eth0");
                assertEquals("000", status(a, "--interface 169.254.0.25 " + TestPeer.url("/hello")),
                        "a spoofed source address got through");
                assertEquals("200", status(a, TestPeer.url("/hello")));
            } finally {
                host.destroy(a);
                host.destroy(b);
            }
        }
    }

    @Test
    void aCapsuleTracksNoMoreConnectionsThanItsBoundAndOthersDoNotNotice() throws Exception {
        NetworkPolicy toPeer = NetworkPolicy.of(true, List.of(TestPeer.NETWORK), List.of());
        String flooder = TestHost.newId();
        String other = TestHost.newId();
        host.create(flooder, "minimal", null, null, toPeer);
        host.create(other, "minimal", null, null, toPeer);
        try {
            int flows = NetworkSlot.MAX_CONNECTIONS + 200;
            // bash, not sh: /dev/udp is bash's (every flow to a new port is a tracked connection)
            TestHost.out(flooder, "bash -c 'for i in $(seq 1 " + flows + "); do echo x > /dev/udp/" + TestPeer.ADDRESS
                    + "/$((20000 + i)); done 2>/dev/null'");
            assertEquals("000", status(flooder, TestPeer.url("/hello")), "over its bound, a new connection must be refused");
            assertEquals("200", status(other, TestPeer.url("/hello")), "another capsule must not notice");
            HttpResponse<String> fromHost = HTTP.send(HttpRequest.newBuilder(URI.create(TestPeer.url("/hello")))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, fromHost.statusCode(), "the host must not notice");
        } finally {
            host.destroy(flooder);
            host.destroy(other);
        }
    }

    @Test
    void afterAPauseTheNetworkIsBackListenersSurviveAndOpenConnectionsAreReset() throws Exception {
        String id = TestHost.newId();
        host.create(id, "base-python", null, null, NetworkPolicy.of(true, List.of(TestPeer.NETWORK), List.of()));
        try {
            TestHost.sh(id, "cd /tmp && nohup python3 -m http.server 8000 >/dev/null 2>&1 &");
            awaitHttp(host.portAddress(id, 8000));
            TestHost.out(id, "cat > /tmp/conn.py <<'EOF'\n" + """
                    import os, socket, time
                    s = socket.create_connection(("%s", %d), timeout=10)
                    s.sendall(b"a"); open("/tmp/before", "w").write(s.recv(1).decode())
                    while not os.path.exists("/tmp/go"): time.sleep(0.1)
                    try:
                        s.sendall(b"b"); got = s.recv(1); r = "open " + got.decode()
                    except OSError as e:
                        r = type(e).__name__
                    open("/tmp/after", "w").write(r)
                    """.formatted(TestPeer.ADDRESS, PeerServer.ECHO_PORT) + "EOF");
            TestHost.sh(id, "nohup python3 /tmp/conn.py >/tmp/conn.log 2>&1 &");
            assertEquals("a", awaitFile(id, "/tmp/before"));
            Path ns = Path.of("/run/netns", "wrenn-" + netSlot(id));
            long inode = (Long) Files.getAttribute(ns, "unix:ino");

            host.pause(id);
            assertTrue(waitUntil(() -> !sameNamespace(ns, inode)), "a paused capsule still holds its namespace");
            host.resume(id);

            TestHost.out(id, "touch /tmp/go");
            String after = awaitFile(id, "/tmp/after");
            assertTrue(after.equals("ConnectionResetError") || after.equals("BrokenPipeError"),
                    "a connection open at the pause must be reset after the resume, got: " + after);
            awaitHttp(host.portAddress(id, 8000));
            assertEquals("200", status(id, TestPeer.url("/hello")), "the network must work after a resume");
        } finally {
            host.destroy(id);
        }
    }

    /**
     * A capsule's address answers nothing once it is destroyed, so a stream into it (a port proxy
     * request waiting for its answer) would wait out its read timeout: the host ends it at once.
     */
    @Test
    void aStreamIntoACapsuleEndsWhenTheCapsuleIsDestroyed() throws Exception {
        String id = TestHost.create("base-python");
        try {
            TestHost.sh(id, "nohup python3 -c 'import socket, time; s = socket.socket(); s.bind((\"0.0.0.0\", 8000));"
                    + " s.listen(); c = s.accept(); time.sleep(600)' >/dev/null 2>&1 &");
            PortStream silent = connectWhenListening(id, 8000);
            silent.readTimeout(Duration.ofSeconds(60));
            CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return "read " + silent.in().read();
                } catch (IOException e) {
                    return e.getClass().getSimpleName();
                }
            });
            Thread.sleep(300);
            assertFalse(read.isDone(), "the service answers nothing");
            long t0 = System.nanoTime();
            host.destroy(id);
            String end = read.get(10, TimeUnit.SECONDS);
            assertTrue(!end.equals("SocketTimeoutException"), "the read ended by the destroy, not its timeout: " + end);
            System.out.printf("stream into a destroyed capsule ended in %d ms: %s%n", (System.nanoTime() - t0) / 1_000_000, end);
        } finally {
            host.destroy(id);
        }
    }

    private static PortStream connectWhenListening(String id, int port) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                return host.openPort(id, port, Duration.ofSeconds(5));
            } catch (HostException e) {
                if (e.error() != HostError.CONNECTION_REFUSED || System.nanoTime() > deadline) throw e;
                Thread.sleep(100);
            }
        }
    }

    @Test
    void clonesOfASnapshotHaveWorkingNetworksAndMacsOfTheirOwn() {
        NetworkPolicy toPeer = NetworkPolicy.of(true, List.of(TestPeer.NETWORK), List.of());
        String src = TestHost.newId();
        String clone = TestHost.newId();
        host.create(src, "minimal", null, null, toPeer);
        try {
            host.snapshot(src, "net-snap", false);
            host.create(clone, "net-snap", null, null, toPeer);
            assertEquals("200", status(clone, TestPeer.url("/hello")));
            assertEquals("200", status(src, TestPeer.url("/hello")));
            assertNotEquals(TestHost.out(src, "cat /sys/class/net/eth0/address"),
                    TestHost.out(clone, "cat /sys/class/net/eth0/address"));
        } finally {
            host.destroy(src);
            host.destroy(clone);
            host.deleteTemplate("net-snap");
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** The HTTP status curl in the capsule gets, "000" when it cannot connect (3 s at most). */
    private static String status(String id, String curlArgs) {
        return TestHost.sh(id, "curl -s -m 3 -o /dev/null -w '%{http_code}' " + curlArgs).stdoutText().strip();
    }

    /** Every IPv4 address of the host's own interfaces. */
    private static List<String> hostAddresses() throws IOException {
        Process p = new ProcessBuilder("ip", "-4", "-o", "addr", "show").start();
        List<String> found = new ArrayList<>();
        for (String line : new String(p.getInputStream().readAllBytes()).split("\n")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(" inet (\\d+\\.\\d+\\.\\d+\\.\\d+)/").matcher(line);
            if (m.find()) found.add(m.group(1));
        }
        return found;
    }

    /** The host's end of the veth pair of the namespace whose end is {@code nsSide}: one address below. */
    private static String hostSide(InetSocketAddress nsSide) {
        String[] o = nsSide.getHostString().split("\\.");
        return o[0] + "." + o[1] + "." + o[2] + "." + (Integer.parseInt(o[3]) - 1);
    }

    private static int netSlot(String id) throws IOException {
        return new ObjectMapper().readTree(host.capsuleDir(id).resolve("capsule.json").toFile()).path("netSlot").asInt();
    }

    private static boolean sameNamespace(Path ns, long inode) {
        try {
            return Files.exists(ns) && (Long) Files.getAttribute(ns, "unix:ino") == inode;
        } catch (IOException e) {
            return false;
        }
    }

    private static void awaitHttp(InetSocketAddress at) throws Exception {
        URI uri = URI.create("http://" + at.getHostString() + ":" + at.getPort() + "/");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                int code = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (code == 200) return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) throw e;
            }
            Thread.sleep(200);
        }
    }

    private static String awaitFile(String id, String path) {
        return TestHost.out(id, "for i in $(seq 1 100); do test -s " + path + " && break; sleep 0.1; done; cat " + path);
    }

    private static boolean waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (condition.getAsBoolean()) return true;
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }
}
