package dev.wrenn.server;

import java.nio.file.Path;

/**
 * A test server in a process of its own, so that a test can kill it with SIGKILL at any moment:
 * {@code ServerProcess DATA_DIR [DATABASE_URL]}. Prints {@code READY PORT KEY} (KEY only on a fresh data dir)
 * once the API answers; stops cleanly on SIGTERM.
 */
public final class ServerProcess {
    private ServerProcess() {}

    public static void main(String[] args) throws Exception {
        WrennServer server = TestServer.startEmbedded(TestServer.config(Path.of(args[0])).prepareTemplates(false)
                .teamActiveLimit(0).databaseUrl(args.length > 1 ? args[1] : null).build());
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println("READY " + server.port() + " " + server.firstKey().orElse("-"));
        System.out.flush();
        Thread.currentThread().join();
    }
}
