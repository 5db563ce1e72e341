package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Exec, process and file calls on one capsule (api.md §6), for {@link CapsuleCommands} and {@link CapsuleFiles}. */
final class GuestCalls {
    private final Api api;
    private final String base;

    GuestCalls(Api api, String capsuleId) {
        this.api = api;
        this.base = UrlPath.capsule(capsuleId);
    }

    CompletableFuture<CommandResult> run(String cmd, List<String> args, RunOptions options) {
        ObjectNode body = execBody(cmd, args, options);
        if (options.timeout() != null) body.put("timeout_sec", Durations.ceilSeconds(options.timeout()));
        return api.transport().json(Call.post(base + "/exec", Json.bytes(body), false, api.command(options.timeout())),
                Wire::commandResult);
    }

    CompletableFuture<ProcessInfo> start(String cmd, List<String> args, RunOptions options) {
        ObjectNode body = execBody(cmd, args, options).put("background", true);
        if (options.tag() != null) body.put("tag", options.tag());
        return api.transport().json(Call.post(base + "/exec", Json.bytes(body), false, api.quick()),
                n -> new ProcessInfo(n.path("pid").asInt(), n.path("tag").asText(null), cmd, args));
    }

    CompletableFuture<List<ProcessInfo>> processes() {
        return api.transport().json(Call.get(base + "/processes", api.quick()),
                n -> Wire.list(n.path("processes"), Wire::process, "processes"));
    }

    CompletableFuture<Void> kill(String pidOrTag, String signal) {
        String path = base + "/processes/" + UrlPath.segment(pidOrTag, "pid or tag") + "?signal=" + UrlPath.segment(signal, "signal");
        return api.transport().discard(Call.delete(path, api.quick()));
    }

    CompletableFuture<Void> write(String path, BodyPublisher content) {
        Multipart m = new Multipart();
        Call call = new Call("POST", base + "/files/write", m.upload(path, content), m.contentType(), false, api.longOperation());
        return api.transport().discard(call);
    }

    CompletableFuture<byte[]> read(String path) {
        Call call = Call.post(base + "/files/read", pathBody(path), true, api.longOperation());
        return api.transport().send(call);
    }

    /** files/stream/write: the content is sent as it is read (chunked), so any size goes in bounded memory. */
    CompletableFuture<Void> upload(String path, InputStream content) {
        Multipart m = new Multipart();
        BodyPublisher body = m.upload(path, BodyPublishers.ofInputStream(() -> content));
        return api.transport().discard(new Call("POST", base + "/files/stream/write", body, m.contentType(), false, api.longOperation()));
    }

    /**
     * files/stream/read into {@code out}, as the bytes arrive. Never retried: part of the file may be in
     * {@code out} already when a connection fails.
     */
    CompletableFuture<Long> download(String path, OutputStream out) {
        Call call = Call.post(base + "/files/stream/read", pathBody(path), false, api.longOperation());
        return api.transport().send(call, info -> new DownloadSubscriber(out));
    }

    CompletableFuture<List<FileEntry>> list(String path, int depth) {
        ObjectNode body = Json.object().put("path", path).put("depth", depth);
        return api.transport().json(Call.post(base + "/files/list", Json.bytes(body), true, api.quick()),
                n -> Wire.list(n.path("entries"), Wire::fileEntry, "file entries"));
    }

    CompletableFuture<FileEntry> makeDir(String path) {
        return api.transport().json(Call.post(base + "/files/mkdir", pathBody(path), false, api.quick()),
                n -> Wire.fileEntry(n.path("entry")));
    }

    CompletableFuture<Void> remove(String path) {
        return api.transport().discard(Call.post(base + "/files/remove", pathBody(path), false, api.quick()));
    }

    /** The fields a command has in every form of exec (foreground, background, streamed). */
    static ObjectNode execBody(String cmd, List<String> args, RunOptions options) {
        ObjectNode body = Json.object().put("cmd", cmd);
        ArrayNode a = body.putArray("args");
        args.forEach(a::add);
        if (!options.env().isEmpty()) options.env().forEach(body.putObject("envs")::put);
        if (options.cwd() != null) body.put("cwd", options.cwd());
        if (options.stdin() != null) body.put("stdin", options.stdin());
        return body;
    }

    private static byte[] pathBody(String path) {
        if (path == null || path.isEmpty()) throw new IllegalArgumentException("path must not be empty");
        return Json.bytes(Json.object().put("path", path));
    }
}
