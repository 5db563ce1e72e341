package dev.wrenn.server.api;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The dashboard (api.md §10): one page and its assets, read from the jar once, served at {@code /}
 * and {@code /assets/NAME}. Only the names listed here exist (no path is looked up), and every
 * answer forbids what the page does not need: scripts and styles from elsewhere, inline scripts,
 * framing by another site. Inline styles are allowed because the terminal (xterm.js, built into the
 * jar by the pom) sizes its rows with a style element it writes; scripts stay this server's files only.
 */
final class DashboardHandlers {
    private static final String ROOT = "/dev/wrenn/server/dashboard/";
    static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
            + " connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private record Asset(byte[] body, String type) {}

    private final Asset page = load("index.html", "text/html; charset=utf-8");
    private final Map<String, Asset> assets = Map.of(
            "app.js", script("app.js"),
            "api.js", script("api.js"),
            "ui.js", script("ui.js"),
            "capsule.js", script("capsule.js"),
            "terminal.js", script("terminal.js"),
            "files.js", script("files.js"),
            "style.css", load("style.css", "text/css; charset=utf-8"),
            "xterm.mjs", script("vendor/xterm.mjs"),
            "addon-fit.mjs", script("vendor/addon-fit.mjs"),
            "xterm.css", load("vendor/xterm.css", "text/css; charset=utf-8"));

    /** GET /: the page; the app in it picks its view from the URL's fragment. */
    void page(Context ctx) {
        serve(ctx, page, "no-cache");
    }

    /** GET /assets/{name}. */
    void asset(Context ctx) {
        Asset a = assets.get(ctx.pathParam("name"));
        if (a == null) {
            ctx.status(404).contentType("text/plain; charset=utf-8").result("no such asset\n");
            return;
        }
        serve(ctx, a, "no-cache");
    }

    private static void serve(Context ctx, Asset a, String cache) {
        ctx.header("Content-Security-Policy", POLICY);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("Cache-Control", cache);
        ctx.contentType(a.type()).result(a.body());
    }

    private static Asset script(String name) {
        return load(name, "text/javascript; charset=utf-8");
    }

    private static Asset load(String name, String type) {
        try (InputStream in = DashboardHandlers.class.getResourceAsStream(ROOT + name)) {
            if (in == null) throw new IllegalStateException("the dashboard's " + name + " is missing from the jar");
            return new Asset(in.readAllBytes(), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
