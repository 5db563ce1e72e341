package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.RunOptions;
import dev.wrenn.sdk.WrennClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Wrenn on several machines, on this one, with real processes as docs/operations.md sets it up:
 * a PostgreSQL database of its own (on the server of scripts/with-postgres.sh), two control planes
 * ({@code wrenn server --no-embedded-host}) behind a TCP load balancer, and host agents
 * ({@code wrenn agent}), each in an {@link AgentNamespace} of its own, which register and heartbeat
 * through the load balancer and are called by the control planes over gRPC at their own address.
 * Shared by {@code MultiHostTest} and {@code MultiHostBenchmark}.
 */
final class MultiHostCluster implements AutoCloseable {
    static final String POSTGRES_ENV = "WRENN_TEST_POSTGRES_URL";
    static final int HOST_TIMEOUT_SEC = 3;
    private static final Pattern API = Pattern.compile("Wrenn API: (http://\\S+/api)");
    private static final Duration START = Duration.ofMinutes(2);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final String adminUrl;
    private final String database;
    final String databaseUrl;
    private String key;
    private final WrennProcess[] controlPlanes = new WrennProcess[2];
    private final String[] apis = new String[2];
    private final WrennClient[] clients = new WrennClient[2];
    private Balancer balancer;
    private final List<Agent> agents = new ArrayList<>();
    private final long startedAt = System.nanoTime();
    private boolean closed;
    private final Thread hook = new Thread(this::close, "multi-host-cleanup");

    /** One host agent: its namespace, data dir, token, and the process running it now. */
    final class Agent {
        final String name;
        final AgentNamespace ns;
        final Path dataDir;
        final String token;
        String hostId;
        WrennProcess process;
        private int starts;

        private Agent(String name, AgentNamespace ns, Path dataDir, String token) {
            this.name = name;
            this.ns = ns;
            this.dataDir = dataDir;
            this.token = token;
        }

        /** Starts {@code wrenn agent} in its namespace; {@link #awaitRegistered} waits for it. */
        void start() throws IOException {
            starts++;
            process = WrennProcess.start(dir.resolve(name + "-" + starts + ".log"), ns.launcher(Path.of("").toAbsolutePath()),
                    "agent", "--control-plane", "http://" + ns.hostAddress + ":" + balancer.port(ns.hostAddress),
                    "--token", token, "--data-dir", dataDir.toString(), "--listen", ns.agentAddress + ":7443",
                    "--advertise", ns.agentAddress, "--no-prepare-templates");
        }

        void awaitRegistered() throws IOException, InterruptedException {
            hostId = process.await(Pattern.compile("Wrenn host agent " + Pattern.quote(name) + " \\((host-[0-9a-z]+)\\): listening on"),
                    START);
        }

        /** kill -9 of the agent; its VMs run on. */
        void kill() throws InterruptedException {
            process.kill();
        }

        /** The agent's log so far (its current process). */
        String log() {
            try {
                return process == null ? "(not started)" : process.output();
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }
    }

    private MultiHostCluster(Path dir, String adminUrl) {
        this.dir = dir;
        this.adminUrl = adminUrl;
        this.database = "multihost_" + Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
        int slash = adminUrl.lastIndexOf('/');
        int query = adminUrl.indexOf('?', slash);
        this.databaseUrl = adminUrl.substring(0, slash + 1) + database + (query < 0 ? "" : adminUrl.substring(query));
    }

    /** Starts a database, two control planes and {@code agentCount} agents, each step timed on stdout. */
    static MultiHostCluster start(int agentCount) throws Exception {
        String admin = System.getenv(POSTGRES_ENV);
        // make test runs every suite under scripts/with-postgres.sh; a bare mvn run says why this one is skipped
        org.junit.jupiter.api.Assumptions.assumeTrue(admin != null && !admin.isBlank(), POSTGRES_ENV + " is not set: run"
                + " through scripts/with-postgres.sh, e.g. scripts/with-postgres.sh ./mvnw -o -pl wrenn-cli surefire:test"
                + " -Dtest=MultiHostTest");
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("the multi-host harness makes network and mount namespaces: run it as root");
        }
        long t0 = System.nanoTime();
        AgentNamespace.removeStale();
        try (java.util.stream.Stream<Path> dirs = Files.list(Path.of("/tmp"))) {
            for (Path stale : dirs.filter(d -> AgentNamespace.staleName(d.getFileName().toString())).toList()) {
                WrennProcess.killVmsIn(stale);
                dev.wrenn.host.storage.FileOps.deleteTree(stale);
            }
        }
        Path dir = Path.of("/tmp", AgentNamespace.PREFIX + ProcessHandle.current().pid());
        dev.wrenn.host.storage.FileOps.deleteTree(dir);
        Files.createDirectories(dir);
        MultiHostCluster c = new MultiHostCluster(dir, admin);
        Runtime.getRuntime().addShutdownHook(c.hook);
        try {
            c.startAll(agentCount);
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
        phase("cluster_start", t0);
        return c;
    }

    private void startAll(int agentCount) throws Exception {
        jdbc(adminUrl, "CREATE DATABASE " + database);
        // the database's first team and key before any control plane starts: none of them prints one
        CliRun created = wrenn("keys", "create", "--name", "multi-host");
        assertEquals(0, created.exit(), created::toString);
        key = created.out().strip();
        for (int i = 0; i < 2; i++) {
            controlPlanes[i] = WrennProcess.start(dir.resolve("cp" + (i + 1) + ".log"), "server", "--no-embedded-host",
                    "--host-timeout-sec", Integer.toString(HOST_TIMEOUT_SEC), "--port", "0", "--host", "127.0.0.1",
                    "--data-dir", dir.resolve("cp" + (i + 1)).toString(), "--database-url", databaseUrl);
        }
        // the agents start meanwhile (a JVM start and a gRPC server's take a while): the load balancer
        // holds their first connections until the control planes listen
        balancer = new Balancer();
        for (int i = 1; i <= agentCount; i++) {
            String name = "agent-" + i;
            AgentNamespace ns = AgentNamespace.create(i);
            CliRun added = wrenn("hosts", "add", name);
            if (added.exit() != 0) {
                ns.close();
                throw new AssertionError(added.toString());
            }
            Agent a = new Agent(name, ns, dir.resolve(name), added.out().strip());
            agents.add(a);
            balancer.listen(ns.hostAddress);
            a.start();
        }
        List<InetSocketAddress> targets = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            apis[i] = controlPlanes[i].await(API, START);
            URI u = URI.create(apis[i]);
            targets.add(new InetSocketAddress(u.getHost(), u.getPort()));
            clients[i] = WrennClient.builder().apiKey(key).baseUrl(apis[i]).build();
        }
        balancer.forwardTo(targets);
        for (Agent a : agents) a.awaitRegistered();
    }

    List<Agent> agents() {
        return agents;
    }

    Agent agent(String name) {
        return agents.stream().filter(a -> a.name.equals(name)).findFirst().orElseThrow();
    }

    /** The API of control plane 0 or 1. */
    String api(int cp) {
        return apis[cp];
    }

    WrennClient client(int cp) {
        return clients[cp];
    }

    WrennProcess controlPlane(int cp) {
        return controlPlanes[cp];
    }

    /** {@code wrenn ARGS --database-url URL} in this JVM: the operator's commands, straight on the database. */
    CliRun wrenn(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--database-url", databaseUrl));
        return CliRun.of(Main.commandLine(), all.toArray(String[]::new));
    }

    /** {@code wrenn hosts drain NAME [--undo]}, which must succeed. */
    void drain(String agent, boolean drain) {
        CliRun r = drain ? wrenn("hosts", "drain", agent) : wrenn("hosts", "drain", agent, "--undo");
        assertEquals(0, r.exit(), r::toString);
    }

    /** {@code wrenn hosts list}, which must succeed. */
    String hosts() {
        CliRun r = wrenn("hosts", "list");
        assertEquals(0, r.exit(), r::toString);
        return r.out();
    }

    /**
     * The name of the host a capsule's record names. The API does not show it, nor does {@code wrenn}:
     * read from the database, as an operator would.
     */
    String hostOf(String capsuleId) {
        List<String[]> rows = query("SELECT h.name FROM capsules c JOIN hosts h ON h.id = c.host_id WHERE c.id = ?", capsuleId);
        return rows.isEmpty() ? null : rows.get(0)[0];
    }

    /** The rows of a query on the installation's database, every column as text. */
    List<String[]> query(String sql, Object... params) {
        try (Connection c = DriverManager.getConnection(toJdbc(databaseUrl)); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) s.setObject(i + 1, params[i]);
            List<String[]> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    String[] row = new String[n];
                    for (int i = 0; i < n; i++) row[i] = rs.getString(i + 1);
                    rows.add(row);
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** The end of what the control planes and the agents logged, for a failure's message. */
    String logs() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            try {
                sb.append("---- cp").append(i + 1).append(" ----\n").append(tail(controlPlanes[i].output(), 60));
            } catch (IOException | RuntimeException e) {
                sb.append("(none: ").append(e).append(")\n");
            }
        }
        for (Agent a : agents) sb.append("---- ").append(a.name).append(" ----\n").append(tail(a.log(), 20));
        return sb.toString();
    }

    static String tail(String text, int lines) {
        String[] all = text.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length)) + "\n";
    }

    /** Runs {@code tasks} at once and returns their results in order (the first failure is thrown). */
    static <T> List<T> inParallel(List<Callable<T>> tasks) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<T>> futures = tasks.stream().map(pool::submit).toList();
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Exception x) throw x;
                    if (e.getCause() instanceof Error x) throw x;
                    throw e;
                }
            }
            return out;
        }
    }

    /** Prints {@code PHASE name seconds s}: how long a step took since {@code startNanos}. */
    static void phase(String name, long startNanos) {
        System.out.printf(Locale.ROOT, "PHASE %s %.1f s%n", name, (System.nanoTime() - startNanos) / 1e9);
        System.out.flush();
    }

    /**
     * A request through a control plane's port proxy to a small HTTP server started in the capsule
     * on port 8000 (the minimal image has perl-base); the raw answer.
     */
    static String proxied(String api, Capsule c) throws Exception {
        c.files().write("/tmp/web.pl", "use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalPort => 8000, Listen => 5,"
                + " ReuseAddr => 1) or die $!; while (my $c = $s->accept) { <$c>;"
                + " print $c \"HTTP/1.0 200 OK\\r\\nContent-Length: 22\\r\\n\\r\\nserved by the capsule\\n\"; close $c }");
        c.commands().runInBackground("perl /tmp/web.pl", RunOptions.builder().tag("web").build());
        URI u = URI.create(api);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try (Socket s = new Socket(u.getHost(), u.getPort())) {
                s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: 8000-" + c.id() + ".localhost\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!answer.startsWith("HTTP/1.1 502") || System.nanoTime() > deadline) return answer;
            }
            Thread.sleep(200);   // the server is not listening yet
        }
    }

    /**
     * Stops everything and deletes what it made: agents and control planes, the VMs left in the
     * agents' namespaces, the namespaces, the database, the data dirs.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        long t0 = System.nanoTime();
        if (Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs this already
            }
        }
        for (WrennClient c : clients) {
            if (c != null) c.close();
        }
        if (balancer != null) balancer.close();
        // the agents' VMs and namespaces go right after: nothing of theirs is worth a clean stop
        List<Thread> stopping = new ArrayList<>();
        for (Agent a : agents) {
            if (a.process != null) stopping.add(Thread.ofVirtual().start(() -> stop(a.process, Duration.ZERO)));
        }
        for (WrennProcess p : controlPlanes) {
            if (p != null) stopping.add(Thread.ofVirtual().start(() -> stop(p, Duration.ofSeconds(10))));
        }
        for (Thread t : stopping) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Agent a : agents) a.ns.close();
        AgentNamespace.closeRunDir();
        WrennProcess.killVmsIn(dir);
        try {
            jdbc(adminUrl, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (SQLException e) {
            System.err.println("[multi-host] database " + database + " not dropped: " + e.getMessage());
        }
        if (System.getenv("WRENN_KEEP_TEST_DATA") == null) dev.wrenn.host.storage.FileOps.deleteTree(dir);
        else System.err.println("[multi-host] kept " + dir);
        phase("cluster_stop", t0);
        phase("cluster_total", startedAt);
    }

    /** SIGTERM, then kill -9 after {@code grace} (at once when zero). */
    private static void stop(WrennProcess p, Duration grace) {
        try {
            if (grace.isZero()) p.kill();
            else p.stop(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void jdbc(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(toJdbc(url)); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** postgresql://user[:pass]@host:port/db → its JDBC URL. */
    static String toJdbc(String url) {
        if (url.startsWith("jdbc:")) return url;
        URI u = URI.create(url);
        StringBuilder q = new StringBuilder(u.getRawQuery() == null ? "" : u.getRawQuery());
        if (u.getRawUserInfo() != null) {
            String[] userPass = u.getRawUserInfo().split(":", 2);
            q.append(q.isEmpty() ? "" : "&").append("user=").append(encode(userPass[0]));
            if (userPass.length == 2) q.append("&password=").append(encode(userPass[1]));
        }
        return "jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getRawPath()
                + (q.isEmpty() ? "" : "?" + q);
    }

    private static String encode(String raw) {
        return URLEncoder.encode(URLDecoder.decode(raw, StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    /**
     * The load balancer in front of the control planes: a TCP relay listening on given addresses
     * that connects each connection to the next control plane in turn, or to the other one when
     * that refuses (is down), as a load balancer with health checks would.
     */
    static final class Balancer implements AutoCloseable {
        private final CompletableFuture<List<InetSocketAddress>> targets = new CompletableFuture<>();
        private final AtomicInteger next = new AtomicInteger();
        private final List<ServerSocket> listeners = new ArrayList<>();
        private final java.util.Map<String, Integer> ports = new ConcurrentHashMap<>();
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();

        /** Where connections go; until it is called they wait (for up to two minutes). */
        void forwardTo(List<InetSocketAddress> controlPlanes) {
            targets.complete(List.copyOf(controlPlanes));
        }

        /** Listens on {@code address}, any free port. */
        synchronized void listen(String address) throws IOException {
            ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName(address));
            listeners.add(s);
            ports.put(address, s.getLocalPort());
            Thread.ofVirtual().name("balancer-" + address).start(() -> {
                while (!s.isClosed()) {
                    try {
                        Socket client = s.accept();
                        Thread.ofVirtual().start(() -> relay(client));
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        int port(String address) {
            return ports.get(address);
        }

        private void relay(Socket client) {
            open.add(client);
            List<InetSocketAddress> to;
            try {
                to = targets.get(2, TimeUnit.MINUTES);
            } catch (Exception notYet) {
                closeQuietly(client);
                return;
            }
            Socket server = null;
            for (int tried = 0; tried < to.size() && server == null; tried++) {
                InetSocketAddress t = to.get(Math.floorMod(next.getAndIncrement(), to.size()));
                Socket s = new Socket();
                try {
                    s.connect(t, 1000);
                    server = s;
                } catch (IOException down) {
                    closeQuietly(s);
                }
            }
            if (server == null) {
                closeQuietly(client);
                return;
            }
            open.add(server);
            Socket upstream = server;
            Thread.ofVirtual().start(() -> pump(client, upstream));
            pump(upstream, client);
        }

        private void pump(Socket from, Socket to) {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException dropped) {
                // one side went away
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        private void closeQuietly(Socket s) {
            open.remove(s);
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }

        @Override
        public synchronized void close() {
            targets.completeExceptionally(new IOException("closed"));
            for (ServerSocket s : listeners) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            List.copyOf(open).forEach(this::closeQuietly);
        }
    }
}
