package dev.wrenn.host.api;

import java.time.Instant;

/**
 * A file, directory or symlink in a capsule.
 *
 * @param type {@code file}, {@code directory}, {@code symlink} or {@code other}
 * @param mode the permission bits (and set-id and sticky bits)
 */
public record FileEntry(String name, String path, String type, long size, int mode, Instant modifiedAt,
                        String symlinkTarget) {

    public boolean isDirectory() {
        return "directory".equals(type);
    }
}
