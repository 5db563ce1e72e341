package dev.wrenn.host;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The services of {@link TestPeer}, run in the peer's namespace as a process of its own: HTTP on
 * {@link #HTTP_PORT} ({@code /hello} answers "peer" and the caller's address, {@code /bytes?n=N}
 * sends N bytes) and a TCP echo on {@link #ECHO_PORT}.
 */
public final class PeerServer {
    static final int HTTP_PORT = 8080;
    static final int ECHO_PORT = 9000;
    private static final byte[] CHUNK = new byte[64 * 1024];

    private PeerServer() {
    }

    public static void main(String[] args) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(HTTP_PORT), 64);
        http.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/hello", ex -> {
            byte[] body = ("peer " + ex.getRemoteAddress().getAddress().getHostAddress()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        http.createContext("/bytes", ex -> {
            String q = ex.getRequestURI().getQuery();
            long n = q != null && q.startsWith("n=") ? Long.parseLong(q.substring(2)) : 0;
            ex.sendResponseHeaders(200, n);
            try (OutputStream out = ex.getResponseBody()) {
                for (long left = n; left > 0; left -= CHUNK.length) out.write(CHUNK, 0, (int) Math.min(left, CHUNK.length));
            }
        });
        http.start();
        ServerSocket echo = new ServerSocket(ECHO_PORT);
        Thread.ofVirtual().start(() -> {
            while (true) {
                try {
                    Socket s = echo.accept();
                    Thread.ofVirtual().start(() -> echo(s));
                } catch (IOException e) {
                    return;
                }
            }
        });
        System.out.println("ready");
        System.out.flush();
        // ends when the test kills it
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // the other side went away
        }
    }
}
