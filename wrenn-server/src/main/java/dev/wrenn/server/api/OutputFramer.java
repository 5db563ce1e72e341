package dev.wrenn.server.api;

import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessEvent.Source;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A process's output as stream frames: base64 when the client asked for bytes, else text decoded
 * per source (a character split between two chunks of one source is kept whole).
 */
final class OutputFramer {
    private final boolean binary;
    private final Map<Source, OutputText> text = new EnumMap<>(Source.class);

    OutputFramer(boolean binary) {
        this.binary = binary;
    }

    /** The frames of one chunk, of frame type {@code type}. */
    List<String> frames(ProcessEvent.Output o, String type) {
        if (binary) return StreamFrames.base64(type, o.data(), true);
        return StreamFrames.text(type, text.computeIfAbsent(o.source(), s -> new OutputText()).decode(o.data()));
    }

    /** What is left at the end of the output (unfinished characters, replaced). */
    List<String> flush() {
        List<String> rest = new ArrayList<>();
        text.forEach((source, decoder) -> rest.addAll(StreamFrames.text(typeOf(source), decoder.finish())));
        return rest;
    }

    /** The frame type of live output from {@code source} (and of the replay). */
    static String typeOf(Source source) {
        return switch (source) {
            case REPLAY -> "replay";
            case STDERR -> "stderr";
            case STDOUT -> "stdout";
        };
    }
}
