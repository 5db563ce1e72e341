package dev.wrenn.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP and WebSocket service, standing in for one running inside a capsule behind the port
 * proxy: it echoes requests, streams an answer piece by piece, takes uploads of any size and
 * echoes WebSocket messages.
 *
 * <ul>
 *   <li>{@code GET /hello}: "hello"</li>
 *   <li>{@code GET|POST /echo}: JSON of method, path, query, headers (names lower case) and body</li>
 *   <li>{@code GET /stream}: "part-1\n", then waits for {@link #nextPart()} (at most 10 s), then "part-2\n"</li>
 *   <li>{@code POST /upload}: "BYTES SHA256" of the body; {@link #firstUploadByte()} opens at its first byte</li>
 *   <li>{@code WS /ws}: every message back</li>
 * </ul>
 */
public final class WebService implements AutoCloseable {
    private final Javalin app;
    private volatile CountDownLatch nextPart = new CountDownLatch(1);
    private volatile CountDownLatch firstUploadByte = new CountDownLatch(1);

    public WebService() {
        app = Javalin.create(cfg -> {
            cfg.concurrency.useVirtualThreads = true;
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.jetty.host = "127.0.0.1";
            cfg.jetty.port = 0;
            cfg.routes.get("/hello", ctx -> ctx.result("hello"));
            cfg.routes.get("/echo", ctx -> ctx.contentType("application/json").result(echo(ctx)));
            cfg.routes.post("/echo", ctx -> ctx.contentType("application/json").result(echo(ctx)));
            cfg.routes.get("/stream", ctx -> {
                OutputStream out = ctx.res().getOutputStream();
                out.write("part-1\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                boolean released = nextPart.await(10, TimeUnit.SECONDS);
                out.write((released ? "part-2\n" : "timed out waiting for the client to see part-1\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            });
            cfg.routes.post("/upload", ctx -> {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                long n = 0;
                byte[] buf = new byte[64 << 10];
                try (InputStream in = ctx.bodyInputStream()) {
                    for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
                        if (r > 0) firstUploadByte.countDown();
                        sha.update(buf, 0, r);
                        n += r;
                    }
                }
                ctx.result(n + " " + HexFormat.of().formatHex(sha.digest()));
            });
            cfg.routes.ws("/ws", ws -> {
                ws.onMessage(ctx -> ctx.send(ctx.message()));
                ws.onBinaryMessage(ctx -> ctx.send(ctx.data()));
            });
        }).start();
    }

    private static String echo(Context ctx) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("method", ctx.method().name());
        o.put("path", ctx.path());
        o.put("query", ctx.queryString());
        ObjectNode headers = o.putObject("headers");
        ctx.headerMap().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
        o.put("body", ctx.body());
        return o.toString();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", app.port());
    }

    /** Lets {@code /stream} send its second part. */
    public void nextPart() {
        nextPart.countDown();
    }

    /** Opens when an upload's first byte has arrived. */
    public CountDownLatch firstUploadByte() {
        return firstUploadByte;
    }

    @Override
    public void close() {
        app.stop();
    }
}
