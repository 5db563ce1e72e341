package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletionStage;

/** The frames of an exec or attach stream: {@code start}, output by stream, {@code exit}; output goes to the caller's handler. */
final class CommandFrames extends ProcessFrames {
    private final OutputHandler handler;

    CommandFrames(OutputHandler handler) {
        super("start");
        this.handler = handler;
    }

    @Override
    CompletionStage<?> output(String type, JsonNode frame) {
        switch (type) {
            case "stdout" -> handler.onStdout(data(frame));
            case "stderr" -> handler.onStderr(data(frame));
            case "replay" -> handler.onReplay(data(frame));
            default -> { }
        }
        return StreamConnection.HANDLED;
    }
}
