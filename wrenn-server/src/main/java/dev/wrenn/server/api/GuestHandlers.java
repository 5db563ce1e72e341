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
    private static final int MAX_PATH_BYTES = 4 * 4096;
    private static final int MAX_PATH = 4096;
    private static final int MAX_DEPTH = 32;
    private static final Map<String, Integer> SIGNALS = Map.of("SIGTERM", 15, "SIGKILL", 9, "SIGINT", 2, "SIGHUP", 1,
            "SIGQUIT", 3, "SIGUSR1", 10, "SIGUSR2", 12);

    private final GuestService guest;

    GuestHandlers(GuestService guest) {
        this.guest = guest;
    }

    void exec(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        Body body = Body.of(ctx);
        boolean background = body.bool("background").orElse(false);
        // a background process runs until it ends or is killed: no timeout unless one is asked for (api.md §6)
        Command c = CommandFields.read(body, background, false, background ? 0 : CommandFields.DEFAULT_TIMEOUT_SEC);
        if (background) {
            GuestService.Started p = guest.start(caller.teamId(), id, c);
            Render.json(ctx, 202, Views.started(id, c.cmd(), p.pid(), p.tag()));
        } else {
            ExecResult r = guest.exec(caller.teamId(), id, c);
            Render.json(ctx, 200, Views.exec(id, c.cmd(), r));
        }
    }

    void processes(Context ctx, Caller caller) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("processes", Views.array(guest.processes(caller.teamId(), Params.capsuleId(ctx)), Views::process));
        Render.json(ctx, 200, o);
    }

    void kill(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        String target = Params.processTarget(ctx.pathParam("target"));
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
            guest.write(caller.teamId(), id, Params.path(path, "path"), in);
        }
        ctx.status(204);
    }

    /**
     * files/stream/write: the multipart body is read as it arrives and written into the capsule as it
     * is read, with no size limit but the capsule's disk and no copy of the file on the server.
     */
    void streamWrite(Context ctx, Caller caller) {
        try {
            streamWrite(ctx, caller, new MultipartReader(ctx.req().getInputStream(), ctx.header("Content-Type")));
        } catch (IOException e) {
            // the client's body broke off or could not be read: its request, not the server, failed
            throw ApiException.invalid("the upload could not be read: " + e.getMessage());
        }
    }

    private void streamWrite(Context ctx, Caller caller, MultipartReader parts) throws IOException {
        String id = Params.capsuleId(ctx);
        MultipartReader.Part first = parts.next();
        if (first == null || !first.name().equals("path") || first.filename() != null) {
            throw ApiException.invalid("the first part must be the text part 'path', then the file part 'file'");
        }
        String path = Params.path(MultipartReader.text(first, MAX_PATH_BYTES), "path");
        MultipartReader.Part file = parts.next();
        if (file == null || !file.name().equals("file")) {
            throw ApiException.invalid("the part after 'path' must be the file part 'file'");
        }
        UploadSource source = new UploadSource(file.body());
        try {
            guest.write(caller.teamId(), id, path, source);
        } catch (RuntimeException e) {
            // the client's body broke off: that, not what the guest made of the short write, is the answer
            throw source.failure().map(RuntimeException.class::cast).orElse(e);
        }
        while (parts.next() != null) {
            // parts after the file are not part of the contract: read past them to the closing boundary
        }
        ctx.status(204);
    }

    void read(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        String path = Params.path(Body.of(ctx).requiredString("path"), "path");
        // headers are committed with the first byte, after the guest has found the file
        LazyResponse out = new LazyResponse(ctx);
        guest.read(caller.teamId(), id, path, out);
        out.finish();
    }

    void list(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        Body body = Body.of(ctx);
        String path = Params.path(body.requiredString("path"), "path");
        int depth = body.integer("depth", 1, MAX_DEPTH).orElse(1);
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("entries", Views.array(guest.list(caller.teamId(), id, path, depth), Views::entry));
        Render.json(ctx, 200, o);
    }

    void mkdir(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        String path = Params.path(Body.of(ctx).requiredString("path"), "path");
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.set("entry", Views.entry(guest.mkdir(caller.teamId(), id, path)));
        Render.json(ctx, 200, o);
    }

    void remove(Context ctx, Caller caller) {
        String id = Params.capsuleId(ctx);
        guest.remove(caller.teamId(), id, Params.path(Body.of(ctx).requiredString("path"), "path"));
        ctx.status(204);
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

    /** The bytes of an upload as the guest reads them; remembers whether reading the client's body failed. */
    private static final class UploadSource extends java.io.FilterInputStream {
        private ApiException failure;

        UploadSource(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException | ApiException e) {
                failure = e instanceof ApiException api ? api
                        : ApiException.invalid("the upload ended early: " + e.getMessage());
                throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            }
        }

        java.util.Optional<ApiException> failure() {
            return java.util.Optional.ofNullable(failure);
        }
    }
}
