package dev.wrenn.host.api;

import java.util.regex.Pattern;

/**
 * One file of a saved template as another host needs it to hold a copy: its name in the template,
 * its size and its digest (SHA-256 over its blocks, docs/host-protocol.md), by which hosts cache it
 * and check what they received.
 */
public record StoredFile(String name, long size, String digest) {
    private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}");

    /** Refuses a name that is not a plain file name, a negative size or a digest that is not 64 hex digits. */
    public StoredFile {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
            throw new HostException(HostError.INVALID_ARGUMENT, "invalid template file name '" + name + "'");
        }
        if (size < 0) throw new HostException(HostError.INVALID_ARGUMENT, "invalid size " + size + " of template file " + name);
        if (digest == null || !DIGEST.matcher(digest).matches()) {
            throw new HostException(HostError.INVALID_ARGUMENT, "invalid digest '" + digest + "' of template file " + name);
        }
    }
}
