package dev.wrenn.host.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.HostAgent;
import dev.wrenn.host.HostConfig;
import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.host.api.ExitCause;
import dev.wrenn.host.api.FileEntry;
import dev.wrenn.host.api.FileSet;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.NetworkPolicy;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.api.PortStream;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessInfo;
import dev.wrenn.host.api.ProcessStream;
import dev.wrenn.host.api.StoredFile;
import dev.wrenn.host.api.TemplateInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The host boundary over the wire, against a real host agent with real VMs: every call of Host,
 * Guest and ProcessStream through gRPC and TLS gives what the agent gives in-process, failures
 * keep their HostError, output is pulled (a reader that stops stalls the guest), and only the
 * control plane holding the host's credential and trusting its certificate gets through.
 */
class RemoteHostTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static Path dataDir;
    private static HostAgent agent;
    private static AgentCertificate tls;
    private static String token;
    private static HostAgentServer server;
    private static RemoteHost remote;

    @BeforeAll
    static void up() throws IOException {
        dataDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-grpc-test-");
        Path repo = Path.of(System.getProperty("wrenn.repo", "..")).toAbsolutePath().normalize();
        agent = HostAgent.start(HostConfig.defaults(dataDir, repo).withWarmPool(0));
        tls = AgentCertificate.inDir(dataDir.resolve("tls"));
        token = HostCredential.newToken();
        server = HostAgentServer.start(agent, new InetSocketAddress("127.0.0.1", 0), tls, HostCredential.callKey(token));
        remote = connect(tls, HostCredential.callKey(token));
        remote.prepareBuiltIn("minimal");
    }

    @AfterAll
    static void down() {
        if (remote != null) remote.close();
        if (server != null) server.close();
        if (agent != null) {
            agent.capsules().forEach(c -> agent.destroy(c.id()));
            agent.close();
        }
        if (dataDir != null) dev.wrenn.host.storage.FileOps.deleteTree(dataDir);
    }

    private static RemoteHost connect(AgentCertificate pinned, String callKey) {
        return RemoteHost.connect("test-host", new InetSocketAddress("127.0.0.1", server.port()), pinned.certificate(), callKey);
    }

    private static String newId() {
        String alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        StringBuilder sb = new StringBuilder("cl-");
        for (int i = 0; i < 25; i++) sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return sb.toString();
    }

    private static ExecResult sh(Guest g, String line) {
        return g.run(ExecRequest.shell(line).timeout(Duration.ofSeconds(30)).build());
    }

    private static HostException failure(HostError expected, org.junit.jupiter.api.function.Executable call) {
        HostException e = assertThrows(HostException.class, call);
        assertEquals(expected, e.error(), e::getMessage);
        return e;
    }

    @Test
    void aCapsuleLivesItsWholeLifeThroughTheWire() {
        assertEquals(agent.info(), remote.info());
        assertEquals(agent.builtInTemplates(), remote.builtInTemplates());
        assertTrue(remote.capacity().cpus() > 0);
        assertEquals(agent.templates().stream().map(TemplateInfo::name).toList(),
                remote.templates().stream().map(TemplateInfo::name).toList());

        String id = newId();
        String templateName = "grpc-" + id.substring(3, 11);
        String clone = null;
        try {
            CapsuleState created = remote.create(id, "minimal", null, null,
                    NetworkPolicy.of(false, List.of("10.0.0.0/8"), List.of()));
            assertEquals(Phase.RUNNING, created.phase());
            assertEquals(agent.template("minimal").orElseThrow().memoryMb(), created.memoryMb());
            assertEquals(created, remote.capsule(id).orElseThrow());
            assertTrue(remote.capsules().stream().anyMatch(c -> c.id().equals(id)));

            Guest g = remote.guest(id);
            assertTrue(g.ping().toNanos() > 0);
            ExecResult r = g.run(ExecRequest.shell("cat; echo err >&2; exit 3").stdin("from-stdin".getBytes())
                    .env("X", "1").timeout(Duration.ofSeconds(30)).build());
            assertEquals(3, r.exitCode());
            assertEquals("from-stdin", r.stdoutText());
            assertEquals("err\n", r.stderrText());

            byte[] data = new byte[3 * 1024 * 1024 + 17];   // several chunks and a short last one
            RANDOM.nextBytes(data);
            assertEquals(data.length, g.writeFile("dir/data.bin", new ByteArrayInputStream(data), 0600));
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            assertEquals(data.length, g.readFile("dir/data.bin", back));
            assertArrayEquals(data, back.toByteArray());
            FileEntry made = g.mkdir("/tmp/made");
            assertTrue(made.isDirectory());
            assertTrue(g.list("dir", 1).stream().anyMatch(e -> e.name().equals("data.bin") && e.size() == data.length
                    && (e.mode() & 0777) == 0600));
            g.remove("/tmp/made");
            failure(HostError.NOT_FOUND, () -> g.list("/tmp/made", 1));
            failure(HostError.NOT_FOUND, () -> g.readFile("/no/such/file", new ByteArrayOutputStream()));

            ProcessInfo bg = g.startBackground(ExecRequest.shell("sleep 300").background("sleeper").build());
            assertTrue(g.processes().stream().anyMatch(p -> p.pid() == bg.pid() && "sleeper".equals(p.tag())));
            g.signal("sleeper", 9);

            remote.setNetwork(id, NetworkPolicy.DEFAULT);
            assertEquals(Phase.PAUSED, remote.pause(id).phase());
            failure(HostError.INVALID_STATE, () -> sh(g, "true"));
            assertEquals(Phase.RUNNING, remote.resume(id).phase());
            assertEquals(Integer.toString(data.length), sh(g, "stat -c %s dir/data.bin").stdoutText().strip());

            TemplateInfo t = remote.snapshot(id, templateName, false);
            assertFalse(t.builtIn());
            assertEquals(id, t.sourceCapsuleId());
            assertEquals(t.name(), remote.template(templateName).orElseThrow().name());
            failure(HostError.NAME_TAKEN, () -> remote.snapshot(id, templateName, false));
            clone = newId();
            remote.create(clone, templateName, null, null);
            assertEquals(Integer.toString(data.length),
                    sh(remote.guest(clone), "stat -c %s dir/data.bin").stdoutText().strip());
        } finally {
            remote.destroy(id);
            if (clone != null) remote.destroy(clone);
        }
        assertTrue(remote.capsule(id).isEmpty());
        remote.deleteTemplate(templateName);
        assertTrue(remote.template(templateName).isEmpty());
    }

    @Test
    void failuresKeepTheirKind() {
        String unknown = newId();
        assertTrue(remote.capsule(unknown).isEmpty());
        failure(HostError.NOT_FOUND, () -> remote.pause(unknown));
        failure(HostError.NOT_FOUND, () -> remote.create(newId(), "no-such-template", null, null));
        failure(HostError.BUILT_IN, () -> remote.deleteTemplate("minimal"));
        failure(HostError.NOT_FOUND, () -> sh(remote.guest(unknown), "true"));
        remote.destroy(unknown);   // a no-op, as in-process
    }

    @Test
    void aProcessStreamTakesInputAndItsOutputIsPulledAllTheWayFromTheGuest() throws Exception {
        String id = newId();
        remote.create(id, "minimal", null, null);
        try {
            Guest g = remote.guest(id);
            try (ProcessStream s = g.start(ExecRequest.shell("read line; echo got-$line; exit 4").timeout(Duration.ZERO).build())) {
                assertTrue(s.acceptsInput());
                s.write("hello\n".getBytes());
                StringBuilder out = new StringBuilder();
                ProcessEvent e;
                while ((e = s.next()) instanceof ProcessEvent.Output o) out.append(new String(o.data(), StandardCharsets.UTF_8));
                assertEquals("got-hello\n", out.toString());
                assertEquals(4, ((ProcessEvent.Exited) e).exitCode());
            }

            // 5000 lines of 4 KiB with the count written after each: a reader that stops must stop the writer
            int lines = 5000;
            String writer = "s=$(head -c 4095 /dev/zero | tr '\\0' x); i=0; while [ $i -lt " + lines
                    + " ]; do echo $s; i=$((i+1)); echo $i > /tmp/progress; done";
            try (ProcessStream s = g.start(ExecRequest.shell(writer).timeout(Duration.ZERO).build())) {
                int stalledAt = awaitStall(g);
                assertTrue(stalledAt < lines / 2, "the writer ran on to line " + stalledAt + " with nobody reading");
                long bytes = 0;
                ProcessEvent e;
                while ((e = s.next()) instanceof ProcessEvent.Output o) bytes += o.data().length;
                assertEquals(0, ((ProcessEvent.Exited) e).exitCode());
                assertEquals((long) lines * 4096, bytes);
            }

            // a terminal, left and attached again with its earlier output replayed
            int pid;
            try (ProcessStream t = g.start(ExecRequest.shell("echo first; sleep 300").pty(24, 80).detach(true)
                    .timeout(Duration.ZERO).build())) {
                assertTrue(t.pty());
                pid = t.pid();
                t.resize(40, 120);
                readUntil(t, "first");
            }
            try (ProcessStream again = g.attach(Integer.toString(pid), true)) {
                ProcessEvent first = again.next();
                assertEquals(ProcessEvent.Source.REPLAY, ((ProcessEvent.Output) first).source());
                assertTrue(new String(((ProcessEvent.Output) first).data(), StandardCharsets.UTF_8).contains("first"));
                g.signal(Integer.toString(pid), 9);
                while (!(again.next() instanceof ProcessEvent.Exited)) {
                    // the rest of its output, then its end
                }
            }

            // closing a stream from another thread ends a next() that waits
            ProcessStream waiting = g.start(ExecRequest.shell("sleep 300").timeout(Duration.ZERO).build());
            CompletableFuture<HostException> ended = CompletableFuture.supplyAsync(
                    () -> assertThrows(HostException.class, waiting::next));
            Thread.sleep(200);
            waiting.close();
            assertEquals(HostError.STREAM_CLOSED, ended.get(10, TimeUnit.SECONDS).error());
        } finally {
            remote.destroy(id);
        }
    }

    @Test
    void aPortOfTheCapsuleIsReachedThroughTheWire() throws Exception {
        String id = newId();
        remote.create(id, "minimal", null, null);
        try {
            Guest g = remote.guest(id);
            byte[] big = new byte[1 << 20];
            RANDOM.nextBytes(big);
            g.writeFile("/tmp/www/big.bin", big);
            // the minimal image has perl-base: a one-file HTTP/1.0 server
            g.startBackground(ExecRequest.command("perl", "-MIO::Socket::INET", "-e",
                    "my $s = IO::Socket::INET->new(LocalPort => 8000, Listen => 5, ReuseAddr => 1) or die $!;"
                    + " while (my $c = $s->accept) { <$c>; open(my $f, '<', '/tmp/www/big.bin'); binmode $f; local $/;"
                    + " my $d = <$f>; print $c \"HTTP/1.0 200 OK\\r\\n\\r\\n\" . $d; close $c }")
                    .background("web").build());
            byte[] answer;
            try (PortStream port = awaitPort(id, 8000)) {
                port.out().write("GET /big.bin HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                port.out().flush();
                port.readTimeout(Duration.ofSeconds(30));
                answer = port.in().readAllBytes();   // HTTP/1.0: the service closes after its answer
            }
            String head = new String(answer, 0, Math.min(answer.length, 200), StandardCharsets.US_ASCII);
            assertTrue(head.startsWith("HTTP/1.0 200"), head);
            int body = indexOf(answer, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 4;
            assertArrayEquals(big, java.util.Arrays.copyOfRange(answer, body, answer.length));

            failure(HostError.CONNECTION_REFUSED, () -> remote.openPort(id, 8001, Duration.ofSeconds(5)));
            failure(HostError.NOT_FOUND, () -> remote.openPort(newId(), 8000, Duration.ofSeconds(5)));
        } finally {
            remote.destroy(id);
        }
    }

    /** The port once its service listens (it starts in the background). */
    private static PortStream awaitPort(String id, int port) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try {
                return remote.openPort(id, port, Duration.ofSeconds(5));
            } catch (HostException e) {
                if (e.error() != HostError.CONNECTION_REFUSED || System.nanoTime() > deadline) throw e;
                Thread.sleep(100);
            }
        }
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) continue outer;
            }
            return i;
        }
        throw new AssertionError("no end of the HTTP head in the answer");
    }

    @Test
    void aBrokenUploadLeavesTheOldFile() {
        String id = newId();
        remote.create(id, "minimal", null, null);
        try {
            Guest g = remote.guest(id);
            g.writeFile("kept.txt", "old".getBytes());
            InputStream breaksOff = new InputStream() {
                private int sent;

                @Override
                public int read() throws IOException {
                    if (sent++ > 200_000) throw new IOException("the client went away");
                    return 'n';
                }
            };
            failure(HostError.HOST_FAILURE, () -> g.writeFile("kept.txt", breaksOff, 0644));
            assertEquals("old", new String(g.readFile("kept.txt"), StandardCharsets.UTF_8));
        } finally {
            remote.destroy(id);
        }
    }

    /**
     * A snapshot template made on one host, copied file by file to another through the wire (read
     * from the agent here, received by a second agent behind its own gRPC server): a transfer that
     * breaks off keeps what arrived and goes on from there, a file that is not what its digest says
     * is thrown away, and the copy makes capsules with what the snapshot saved. A paused capsule
     * moves the same way and resumes there as it was. Deleting the copy and the last capsule of it
     * leaves nothing of its files on the second host.
     */
    @Test
    void aSnapshotTemplateIsCopiedToAnotherHostThroughTheWire() throws Exception {
        String id = newId();
        String copied = newId();
        String name = "copy-" + id.substring(3, 11);
        Path otherDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-grpc-copy-");
        Path repo = Path.of(System.getProperty("wrenn.repo", "..")).toAbsolutePath().normalize();
        HostAgent other = HostAgent.start(HostConfig.defaults(otherDir, repo).withWarmPool(0));
        AgentCertificate otherTls = AgentCertificate.inDir(otherDir.resolve("tls"));
        String otherKey = HostCredential.callKey(HostCredential.newToken());
        HostAgentServer otherServer = HostAgentServer.start(other, new InetSocketAddress("127.0.0.1", 0), otherTls, otherKey);
        RemoteHost target = RemoteHost.connect("other", new InetSocketAddress("127.0.0.1", otherServer.port()),
                otherTls.certificate(), otherKey);
        try {
            remote.create(id, "minimal", null, null);
            sh(remote.guest(id), "echo made-on-the-first-host > /root/marker");
            remote.snapshot(id, name, false);
            FileSet set = FileSet.template(name);
            List<StoredFile> files = remote.files(set);
            assertEquals(files, agent.files(set), "the digests are computed once and kept");
            StoredFile memory = files.stream().filter(f -> f.name().equals("memory.ram")).findFirst().orElseThrow();

            long half = memory.size() / 2;
            try (InputStream in = breaksOffAfter(remote.openFile(set, memory.name(), 0), half)) {
                failure(HostError.HOST_FAILURE, () -> target.receive(memory, 0, in));
            }
            long held = target.heldBytes(memory);
            assertTrue(held > 0 && held <= half, "what arrived before the transfer broke off is kept: " + held);
            failure(HostError.INVALID_STATE, () -> target.receive(memory, 0, new ByteArrayInputStream(new byte[0])));
            failure(HostError.INVALID_STATE, () -> target.install(set, files));

            StoredFile state = files.stream().filter(f -> f.name().equals("template.state")).findFirst().orElseThrow();
            StoredFile lying = new StoredFile(state.name(), state.size(), "0".repeat(64));
            try (InputStream in = remote.openFile(set, state.name(), 0)) {
                failure(HostError.HOST_FAILURE, () -> target.receive(lying, 0, in));
            }
            assertEquals(0, target.heldBytes(lying), "a file that is not what its digest says is thrown away");

            SetCopy.copy(remote, target, set);
            assertEquals(files, target.files(set));
            target.install(set, files);   // again: the same copy stays
            assertEquals(name, target.template(name).orElseThrow().name());

            // a paused capsule moves: its files go over, it resumes there as it was
            sh(remote.guest(id), "echo paused-on-the-first-host > /root/moved");
            remote.pause(id);
            FileSet capsule = FileSet.capsule(id);
            SetCopy.copy(remote, target, capsule);
            assertEquals(Phase.PAUSED, target.capsule(id).orElseThrow().phase());
            remote.destroy(id);
            assertEquals(Phase.RUNNING, target.resume(id).phase());
            assertEquals("paused-on-the-first-host\n", sh(target.guest(id), "cat /root/moved").stdoutText());
            target.destroy(id);

            target.create(copied, name, null, null);
            assertEquals("made-on-the-first-host\n", sh(target.guest(copied), "cat /root/marker").stdoutText());
            target.deleteTemplate(name);
            assertEquals("made-on-the-first-host\n", sh(target.guest(copied), "cat /root/marker").stdoutText(),
                    "a capsule of a deleted template runs on");
            target.destroy(copied);
            try (var left = Files.list(otherDir.resolve("blobs"))) {
                assertEquals(List.of(), left.toList(), "nothing of the copy is left once no capsule uses it");
            }
        } finally {
            remote.destroy(id);
            remote.deleteTemplate(name);
            target.close();
            otherServer.close();
            other.capsules().forEach(c -> other.destroy(c.id()));
            other.close();
            dev.wrenn.host.storage.FileOps.deleteTree(otherDir);
        }
    }

    /** {@code in} for {@code limit} bytes, then the failure of a connection that broke. */
    private static InputStream breaksOffAfter(InputStream in, long limit) {
        return new InputStream() {
            private long sent;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (sent >= limit) throw new IOException("the connection broke");
                int n = in.read(b, off, (int) Math.min(len, limit - sent));
                if (n > 0) sent += n;
                return n;
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    @Test
    void aVmEndingOnItsOwnIsReportedToTheControlPlane() throws Exception {
        CompletableFuture<CapsuleState> exited = new CompletableFuture<>();
        String id = newId();
        remote.onVmExit(s -> {
            if (s.id().equals(id)) exited.complete(s);
        });
        remote.create(id, "minimal", null, null);
        try {
            long pid = agent.vmmPid(id);
            new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
            CapsuleState s = exited.get(10, TimeUnit.SECONDS);
            assertEquals(Phase.EXITED, s.phase());
            assertEquals(ExitCause.VM_EXITED, s.exitCause());
        } finally {
            remote.destroy(id);
        }
    }

    @Test
    void onlyTheHostsCredentialAndCertificateGetThrough() {
        try (RemoteHost wrongKey = connect(tls, HostCredential.callKey(HostCredential.newToken()))) {
            HostException e = failure(HostError.HOST_FAILURE, wrongKey::info);
            assertTrue(e.getMessage().contains("credential"), e.getMessage());
        }
        try (RemoteHost wrongCertificate = connect(AgentCertificate.generate(), HostCredential.callKey(token))) {
            failure(HostError.HOST_UNREACHABLE, wrongCertificate::info);
        }
        assertThrows(IllegalArgumentException.class, () -> HostCredential.callKey("wrh_short"));
    }

    @Test
    void anAgentThatIsDownIsUnreachableAndReachableAgainOnceBack() throws IOException {
        int port = server.port();
        server.close();
        try {
            failure(HostError.HOST_UNREACHABLE, remote::capsules);
        } finally {
            server = HostAgentServer.start(agent, new InetSocketAddress("127.0.0.1", port), tls, HostCredential.callKey(token));
        }
        // a call made while the connection is still being retried may fail once; the next one connects
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            try {
                assertEquals(agent.info(), remote.info());
                return;
            } catch (HostException e) {
                if (e.error() != HostError.HOST_UNREACHABLE || System.nanoTime() > deadline) throw e;
            }
        }
    }

    private static void readUntil(ProcessStream s, String marker) {
        StringBuilder out = new StringBuilder();
        while (!out.toString().contains(marker)) {
            if (s.next() instanceof ProcessEvent.Output o) out.append(new String(o.data(), StandardCharsets.UTF_8));
            else throw new AssertionError("ended before '" + marker + "': " + out);
        }
    }

    /** The writer's line count once it stopped moving (checked a second apart, up to 30 s). */
    private static int awaitStall(Guest g) throws InterruptedException {
        int last = -1;
        for (int i = 0; i < 30; i++) {
            Thread.sleep(1000);
            String text = sh(g, "cat /tmp/progress 2>/dev/null || echo 0").stdoutText().strip();
            int now = Integer.parseInt(text.isEmpty() ? "0" : text);
            if (now == last && now > 0) return now;
            last = now;
        }
        throw new AssertionError("the writer never stalled; at line " + last);
    }
}
