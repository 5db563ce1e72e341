package dev.wrenn.host.guest;

/** How a guest process ended (the EXIT frame). */
public record ExitStatus(int exitCode, int signal, boolean timedOut, long durationMs) {
    static ExitStatus from(Record exit) {
        return new ExitStatus((int) exit.number("exit_code", -1), (int) exit.number("signal", 0),
                exit.flag("timed_out"), exit.number("duration_ms", 0));
    }
}
