package dev.wrenn.host.guest;

import java.time.Instant;

/** A file, directory or symlink in the guest, as STAT and LIST report it. */
public record FileEntry(String name, String path, String type, long size, int mode, Instant modifiedAt,
                        String symlinkTarget) {

    static FileEntry from(Record r) {
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

    public boolean isDirectory() {
        return "directory".equals(type);
    }
}
