package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The stream endpoints of one capsule (api.md §6a): a command with its output streamed, an attach to
 * a running process, a terminal. Each opens a WebSocket, sends the first frame its protocol wants and
 * completes once the server has named the process, within the client's request timeout.
 */
final class GuestStreams {
    private final Api api;
    private final String capsuleId;
    private final String base;
    private final GuestCalls guest;

    GuestStreams(Api api, String capsuleId, GuestCalls guest) {
        this.api = api;
        this.capsuleId = capsuleId;
        this.base = UrlPath.capsule(capsuleId);
        this.guest = guest;
    }

    CompletableFuture<CommandStream> exec(String cmd, List<String> args, RunOptions options, OutputHandler handler) {
        // binary: the handler gets the exact bytes; text is decoded on this side, where a split character is kept whole
        ObjectNode start = GuestCalls.execBody(cmd, args, options).put("type", "start").put("binary", true);
        if (options.timeout() != null) start.put("timeout_sec", Durations.ceilSeconds(options.timeout()));
        if (options.tag() != null) start.put("tag", options.tag());
        if (options.detach()) start.put("detach", true);
        CommandFrames frames = new CommandFrames(handler);
        return open(base + "/exec/stream", "the stream of " + cmd + " in capsule " + capsuleId, frames, start)
                .thenApply(o -> new CommandStream(o.connection(), frames, o.started(), false, guest));
    }

    CompletableFuture<CommandStream> attach(String pidOrTag, OutputHandler handler) {
        String path = base + "/processes/" + UrlPath.segment(pidOrTag, "pid or tag") + "/stream?binary=true";
        CommandFrames frames = new CommandFrames(handler);
        return open(path, "the stream of process " + pidOrTag + " in capsule " + capsuleId, frames, null)
                .thenApply(o -> new CommandStream(o.connection(), frames, o.started(), true, guest));
    }

    /** A terminal whose output goes to {@code callback}, or to the terminal's {@link Terminal#output()} when it is null. */
    CompletableFuture<Terminal> terminal(PtyOptions options, Consumer<byte[]> callback) {
        OutputPipe pipe = callback == null ? new OutputPipe() : null;
        TerminalFrames frames = new TerminalFrames(pipe != null ? pipe::offer : data -> {
            callback.accept(data);
            return StreamConnection.HANDLED;
        });
        if (pipe != null) frames.exit().whenComplete((code, failure) -> pipe.end(failure == null ? null : Futures.unwrap(failure)));
        String what = options.tag() != null ? "terminal " + options.tag() + " in capsule " + capsuleId : "a terminal in capsule " + capsuleId;
        return open(base + "/pty", what, frames, firstTerminalFrame(options))
                .thenApply(o -> new Terminal(o.connection(), frames, o.started(), pipe));
    }

    private static ObjectNode firstTerminalFrame(PtyOptions o) {
        if (o.tag() != null) return Json.object().put("type", "connect").put("tag", o.tag());
        ObjectNode start = Json.object().put("type", "start").put("cols", o.cols()).put("rows", o.rows());
        if (o.cmd() != null) start.put("cmd", o.cmd());
        if (!o.args().isEmpty()) {
            ArrayNode a = start.putArray("args");
            o.args().forEach(a::add);
        }
        if (!o.env().isEmpty()) o.env().forEach(start.putObject("envs")::put);
        if (o.cwd() != null) start.put("cwd", o.cwd());
        return start;
    }

    /** A stream whose process the server has named. */
    private record Opened(StreamConnection connection, ProcessFrames.Started started) {}

    private CompletableFuture<Opened> open(String path, String what, ProcessFrames frames, ObjectNode first) {
        CompletableFuture<StreamConnection> connecting = StreamConnection.open(api.transport(), path, what, frames);
        CompletableFuture<Opened> opened = connecting.thenCompose(c -> (first == null ? CompletableFuture.completedFuture(null) : c.send(first))
                // a refusal (missing capsule, bad command) comes as an error frame that fails started() with its exception
                .handle((sent, failure) -> null)
                .thenCompose(x -> frames.started())
                .thenApply(s -> new Opened(c, s)));
        return Futures.within(opened, api.quick(), () -> what + " did not start within " + Durations.readable(api.quick()))
                .whenComplete((o, failure) -> {
                    if (failure != null) connecting.thenAccept(StreamConnection::close);
                });
    }
}
