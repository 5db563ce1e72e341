package dev.wrenn.host.guest;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.FileEntry;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessInfo;
import java.time.Instant;

/** The records of docs/guest-protocol.md §3 for the host's plain types: EXEC out; entries, processes, EXIT in. */
final class Messages {
    private Messages() {}

    /** {@code stdinPipe}: the host will write the process's stdin (else it is /dev/null, or a pty). */
    static Record exec(ExecRequest r, boolean stdinPipe) {
        Record.Builder b = Record.builder().putAll("arg", r.argv());
        r.env().forEach((k, v) -> b.put("env", k + "=" + v));
        return b.put("cwd", r.cwd())
                .put("timeout_ms", r.timeout().toMillis())
                .put("stdin", stdinPipe || r.pty())
                .put("background", r.background())
                .put("detach", r.detach())
                .put("tag", r.tag())
                .put("pty", r.pty())
                .put("rows", r.pty() ? Integer.toString(r.rows()) : null)
                .put("cols", r.pty() ? Integer.toString(r.cols()) : null)
                .build();
    }

    static FileEntry entry(Record r) {
        long mtimeNs = r.number("mtime_ns", 0);
        int mode;
        try {
            mode = Integer.parseInt(r.string("mode", "0"), 8);
        } catch (NumberFormatException e) {
            throw new GuestProtocolException("entry has a bad mode: " + r.string("mode", ""));
        }
        return new FileEntry(r.string("name", ""), r.string("path", ""), r.string("type", "other"),
                r.number("size", 0), mode,
                Instant.ofEpochSecond(Math.floorDiv(mtimeNs, 1_000_000_000L), Math.floorMod(mtimeNs, 1_000_000_000L)),
                r.string("target").orElse(null));
    }

    static ProcessInfo process(Record r) {
        return new ProcessInfo((int) r.number("pid", 0), r.string("tag").orElse(null), r.strings("arg"),
                r.flag("background") || r.flag("detach"), r.flag("pty"));
    }

    static ProcessEvent.Exited exit(Record r) {
        return new ProcessEvent.Exited((int) r.number("exit_code", -1), (int) r.number("signal", 0),
                r.flag("timed_out"), r.number("duration_ms", 0));
    }
}
