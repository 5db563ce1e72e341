package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.server.Json;
import dev.wrenn.server.auth.Caller;
import dev.wrenn.server.capsule.GuestService;
import dev.wrenn.server.capsule.GuestService.Command;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** Exec, processes and files of a running capsule (api.md §6). */
final class GuestHandlers {
    static final long MAX_UPLOAD_BYTES = 100L << 20;
    private static final int MAX_ARGS = 4096;
    private static final int MAX_ENVS = 1024;
    private static final int MAX_PATH = 4096;
    private static final int MAX_DEPTH = 32;
    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,255}");
    private static final Map<String, Integer> SIGNALS = Map.of("SIGTERM", 15, "SIGKILL", 9, "SIGINT", 2, "SIGHUP", 1,
            "SIGQUIT", 3, "SIGUSR1", 10, "SIGUSR2", 12);

    private final GuestService guest;

    GuestHandlers(GuestService guest) {
        this.guest = guest;
    }

    void exec(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        Body body = Body.of(ctx);
        String cmd = body.requiredString("cmd");
        if (cmd.isEmpty()) throw ApiException.invalid("cmd must not be empty");
        Map<String, String> envs = body.stringMap("envs", MAX_ENVS).orElse(Map.of());
        envs.keySet().forEach(k -> {
            if (!ENV_NAME.matcher(k).matches()) {
                throw ApiException.invalid("envs key '" + Params.abbreviate(k) + "' is not a variable name: expected [A-Za-z_][A-Za-z0-9_]*");
            }
        });
        boolean background = body.bool("background").orElse(false);
        String tag = body.string("tag").orElse(null);
        if (tag != null && !background) throw ApiException.invalid("tag applies to background commands only");
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw ApiException.invalid("tag '" + Params.abbreviate(tag) + "' must be 1 to 64 of [a-zA-Z0-9._-], starting with a letter or digit");
        }
        String cwd = body.string("cwd").map(p -> path(p, "cwd")).orElse(null);
        Command c = new Command(cmd, body.stringList("args", MAX_ARGS).orElse(List.of()), envs, cwd,
                body.integer("timeout_sec", 0, CapsuleHandlers.MAX_TIMEOUT_SEC).orElse(30),
                body.string("stdin").map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null), background, tag);
        if (background) {
            GuestService.Started p = guest.start(caller.teamId(), id, c);
            Render.json(ctx, 202, Views.started(id, cmd, p.pid(), p.tag()));
        } else {
            ExecResult r = guest.exec(caller.teamId(), id, c);
            Render.json(ctx, 200, Views.exec(id, cmd, r));
        }
    }

    void processes(Context ctx, Caller caller) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("processes", Views.array(guest.processes(caller.teamId(), Params.capsuleId(ctx)), Views::process));
        Render.json(ctx, 200, o);
    }

    void kill(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        String target = ctx.pathParam("target");
        boolean pid = target.chars().allMatch(Character::isDigit) && !target.isEmpty();
        if (pid ? target.length() > 9 : !TAG.matcher(target).matches()) {
            throw ApiException.invalid("'" + Params.abbreviate(target) + "' is neither a pid nor a process tag");
        }
        String sig = ctx.queryParam("signal");
        Integer signal = sig == null || sig.isEmpty() ? Integer.valueOf(9) : SIGNALS.get(sig);
        if (signal == null) {
            throw ApiException.invalid("signal '" + Params.abbreviate(sig) + "' is not one of SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2");
        }
        guest.kill(caller.teamId(), id, target, signal);
        ctx.status(204);
    }

    void write(Context ctx, Caller caller) throws IOException {
        String id = Params.capsuleId(ctx);
        long length = ctx.req().getContentLengthLong();
        if (length > MAX_UPLOAD_BYTES + (1 << 20)) throw tooLarge();
        if (!ctx.isMultipartFormData()) {
            throw ApiException.invalid("files/write takes multipart/form-data with a text part 'path' and a file part 'file'");
        }
        UploadedFile file;
        String path;
        try {
            file = ctx.uploadedFile("file");
            path = ctx.formParam("path");
        } catch (Exception e) {
            // Jetty reports an over-long part as a bad multipart message caused by "max file size exceeded"
            if (causedBySize(e)) throw tooLarge();
            throw ApiException.invalid("the multipart body could not be read: " + e.getMessage());
        }
        if (file == null) throw ApiException.invalid("the file part 'file' is missing");
        if (path == null) throw ApiException.invalid("the text part 'path' is missing");
        if (file.size() > MAX_UPLOAD_BYTES) throw tooLarge();
        try (InputStream in = file.content()) {
            guest.write(caller.teamId(), id, path(path, "path"), in);
        }
        ctx.status(204);
    }

    void read(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        String path = path(Body.of(ctx).requiredString("path"), "path");
        // headers are committed with the first byte, after the guest has found the file
        LazyResponse out = new LazyResponse(ctx);
        guest.read(caller.teamId(), id, path, out);
        out.finish();
    }

    void list(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        Body body = Body.of(ctx);
        String path = path(body.requiredString("path"), "path");
        int depth = body.integer("depth", 1, MAX_DEPTH).orElse(1);
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("entries", Views.array(guest.list(caller.teamId(), id, path, depth), Views::entry));
        Render.json(ctx, 200, o);
    }

    void mkdir(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        String path = path(Body.of(ctx).requiredString("path"), "path");
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("entry", Views.entry(guest.mkdir(caller.teamId(), id, path)));
        Render.json(ctx, 200, o);
    }

    void remove(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        guest.remove(caller.teamId(), id, path(Body.of(ctx).requiredString("path"), "path"));
        ctx.status(204);
    }

    private static String path(String p, String field) {
        if (p.isEmpty()) throw ApiException.invalid(field + " must not be empty");
        if (p.length() > MAX_PATH) throw ApiException.invalid(field + " is longer than " + MAX_PATH + " characters");
        return p;
    }

    private static boolean causedBySize(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT).contains("size exceeded")) return true;
        }
        return false;
    }

    private static ApiException tooLarge() {
        return new ApiException(ErrorCode.TOO_LARGE, "the upload is larger than " + (MAX_UPLOAD_BYTES >> 20) + " MiB");
    }

    /** The response body of a file read, opened (200, octet-stream) only when there is something to send. */
    private static final class LazyResponse extends OutputStream {
        private final Context ctx;
        private OutputStream out;

        LazyResponse(Context ctx) {
            this.ctx = ctx;
        }

        private OutputStream open() {
            if (out == null) {
                ctx.status(200).contentType("application/octet-stream");
                out = ctx.outputStream();
            }
            return out;
        }

        @Override
        public void write(int b) throws IOException {
            open().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            open().write(b, off, len);
        }

        void finish() {
            if (out == null) {
                ctx.status(200).contentType("application/octet-stream").result(new byte[0]);
            }
        }
    }
}
