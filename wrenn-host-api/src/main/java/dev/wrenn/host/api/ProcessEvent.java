package dev.wrenn.host.api;

/** What a {@link ProcessStream} delivers: output as it comes, then the process's end. */
public sealed interface ProcessEvent {

    /** Where a chunk of output comes from. REPLAY: produced before the stream attached, sent first. */
    enum Source { STDOUT, STDERR, REPLAY }

    record Output(Source source, byte[] data) implements ProcessEvent {}

    /**
     * The process ended; nothing follows.
     *
     * @param exitCode 0..255, 128 + signal when killed, 124 when its timeout killed it
     */
    record Exited(int exitCode, int signal, boolean timedOut, long durationMs) implements ProcessEvent {}
}
