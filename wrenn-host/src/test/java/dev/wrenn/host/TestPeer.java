package dev.wrenn.host;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A machine on the host's private network, for network tests: a namespace of its own at
 * {@link #ADDRESS}, joined to the host by a veth pair (the host's side is {@link #HOST_SIDE}),
 * serving {@link PeerServer}. Traffic to it never leaves this machine.
 */
final class TestPeer implements AutoCloseable {
    static final String ADDRESS = "10.99.0.1";
    static final String HOST_SIDE = "10.99.0.254";
    static final String NETWORK = "10.99.0.0/24";
    private static final String NS = "wrnpeer-" + ProcessHandle.current().pid();
    private static final String HOST_IF = "wrnp-" + ProcessHandle.current().pid() % 100_000;

    private final Process server;

    private TestPeer(Process server) {
        this.server = server;
    }

    static TestPeer start() throws IOException, InterruptedException {
        removeLeftovers();
        run(null, "ip", "netns", "add", NS);
        run(null, "ip", "link", "add", HOST_IF, "type", "veth", "peer", "name", "eth0", "netns", NS);
        run(null, "ip", "addr", "add", HOST_SIDE + "/24", "dev", HOST_IF);
        run(null, "ip", "link", "set", HOST_IF, "up");
        run(NS, "ip", "addr", "add", ADDRESS + "/24", "dev", "eth0");
        run(NS, "ip", "link", "set", "eth0", "up");
        run(NS, "ip", "link", "set", "lo", "up");
        run(NS, "ip", "route", "add", "default", "via", HOST_SIDE);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder("nsenter", "--net=/run/netns/" + NS, java, "-cp", System.getProperty("java.class.path"),
                PeerServer.class.getName()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (!"ready".equals(line)) {
            p.destroyForcibly();
            throw new IOException("peer server did not start: " + line);
        }
        Thread.ofVirtual().start(() -> out.lines().forEach(l -> { }));
        return new TestPeer(p);
    }

    static String url(String path) {
        return "http://" + ADDRESS + ":" + PeerServer.HTTP_PORT + path;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        run(null, "ip", "netns", "del", NS);
    }

    /** Peers of test JVMs that died without closing them: they would hold the same addresses. */
    private static void removeLeftovers() throws IOException, InterruptedException {
        java.io.File[] all = new java.io.File("/run/netns").listFiles((d, n) -> n.startsWith("wrnpeer-"));
        for (java.io.File f : all == null ? new java.io.File[0] : all) {
            long pid = Long.parseLong(f.getName().substring("wrnpeer-".length()));
            if (ProcessHandle.of(pid).isEmpty()) run(null, "ip", "netns", "del", f.getName());
        }
    }

    private static void run(String ns, String... cmd) throws IOException, InterruptedException {
        List<String> full = new java.util.ArrayList<>();
        if (ns != null) full.addAll(List.of("nsenter", "--net=" + Path.of("/run/netns", ns)));
        full.addAll(List.of(cmd));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(String.join(" ", full) + " failed: " + out.strip());
    }
}
