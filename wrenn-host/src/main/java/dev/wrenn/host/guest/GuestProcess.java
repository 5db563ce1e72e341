package dev.wrenn.host.guest;

import java.util.List;

/** A process the guest agent started and still tracks. */
public record GuestProcess(int pid, String tag, List<String> argv, boolean background) {
    static GuestProcess from(Record r) {
        return new GuestProcess((int) r.number("pid", 0), r.string("tag").orElse(null), r.strings("arg"),
                r.flag("background"));
    }
}
