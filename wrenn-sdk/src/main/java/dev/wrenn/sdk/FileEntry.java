package dev.wrenn.sdk;

import java.time.Instant;

/**
 * A file, directory or symlink in a capsule.
 *
 * @param name its name within its directory
 * @param path its absolute path
 * @param type {@code file}, {@code directory}, {@code symlink} (or another kind the server names)
 * @param size its size in bytes
 * @param mode its permission bits, e.g. {@code 0644}
 * @param permissions the same as {@code ls -l} writes them, e.g. {@code -rw-r--r--}
 * @param modifiedAt its modification time
 * @param symlinkTarget where a symlink points; null for other types
 */
public record FileEntry(String name, String path, String type, long size, int mode, String permissions,
                        Instant modifiedAt, String symlinkTarget) {
    /** {@return true when this is a directory (not a symlink to one)} */
    public boolean isDirectory() {
        return "directory".equals(type);
    }

    /** {@return true when this is a regular file} */
    public boolean isFile() {
        return "file".equals(type);
    }
}
