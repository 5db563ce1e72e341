package dev.wrenn.sdk;

import java.util.List;

/**
 * A background process in a capsule.
 *
 * @param pid its process id in the capsule
 * @param tag its tag, usable instead of the pid to signal it
 * @param cmd the program
 * @param args its arguments
 */
public record ProcessInfo(int pid, String tag, String cmd, List<String> args) {
    /** Copies {@code args}, so the record stays immutable. */
    public ProcessInfo {
        args = args == null ? List.of() : List.copyOf(args);
    }
}
