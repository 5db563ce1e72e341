package dev.wrenn.host.api;

import java.util.List;

/**
 * A process the guest agent started and that still runs.
 *
 * @param detached it outlives the stream that started it (background processes and terminals are)
 */
public record ProcessInfo(int pid, String tag, List<String> argv, boolean detached, boolean pty) {
    public ProcessInfo {
        argv = List.copyOf(argv);
    }
}
