package dev.wrenn.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A test server in a process of its own, so that a test can kill it with SIGKILL at any moment or
 * give it a heap of its own: {@code ServerProcess DATA_DIR [DATABASE_URL]}. Prints
 * {@code READY PORT KEY} (KEY only on a fresh data dir) once the API answers; stops cleanly on SIGTERM.
 * It runs with the tests' settings, or with the defaults when started with {@link #DEFAULTS}.
 */
public final class ServerProcess {
    /** JVM option {@code -Dwrenn.server.defaults=true}: the settings `wrenn server` has out of the box, not the tests'. */
    static final String DEFAULTS = "wrenn.server.defaults";

    private ServerProcess() {}

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(args[0]);
        ServerConfig.Builder config = Boolean.getBoolean(DEFAULTS)
                ? ServerConfig.builder(dataDir).bindHost("127.0.0.1").port(0).repoDir(TestServer.repoDir())
                : TestServer.config(dataDir).prepareTemplates(false).teamActiveLimit(0);
        WrennServer server = TestServer.startEmbedded(config.databaseUrl(args.length > 1 ? args[1] : null).build());
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println("READY " + server.port() + " " + server.firstKey().orElse("-"));
        System.out.flush();
        Thread.currentThread().join();
    }

    /**
     * Starts one on {@code dataDir} (and {@code databaseUrl}, null: SQLite in it), stderr to {@code log},
     * with {@code jvmOptions} (e.g. a heap limit) before the class name.
     */
    static Process launch(Path dataDir, String databaseUrl, Path log, String... jvmOptions) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Dwrenn.repo=" + TestServer.repoDir(), "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(jvmOptions));
        cmd.add(ServerProcess.class.getName());
        cmd.add(dataDir.toString());
        if (databaseUrl != null) cmd.add(databaseUrl);
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /**
     * Reads the process's stdout up to its READY line: {@code [READY, port, key]}. The rest of its
     * stdout (its log) is copied to {@code log} from then on: a pipe nobody reads fills up after
     * 64 KiB and then blocks every thread of the server that logs.
     */
    static String[] awaitReady(Process p, Path log) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("READY ")) {
                Thread.ofPlatform().daemon().name("server-log").start(() -> copyToEnd(out, log));
                return line.split(" ");
            }
        }
        throw new AssertionError("the server process ended before it was ready (exit " + p.onExit().join().exitValue()
                + "); see " + log);
    }

    private static void copyToEnd(BufferedReader out, Path log) {
        try (var w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            String line;
            while ((line = out.readLine()) != null) {
                w.write(line);
                w.newLine();
                w.flush();
            }
        } catch (IOException ended) {
            // the process is gone or the log was deleted with the test's files: nothing left to copy
        }
    }
}
