package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The frames of a terminal: {@code started}, {@code output}, {@code exit} (and the server's
 * {@code ping}, which needs no answer). Output goes to a sink whose stage says when it took it.
 */
final class TerminalFrames extends ProcessFrames {
    private final Function<byte[], CompletionStage<?>> sink;

    TerminalFrames(Function<byte[], CompletionStage<?>> sink) {
        super("started");
        this.sink = sink;
    }

    @Override
    CompletionStage<?> output(String type, JsonNode frame) {
        return type.equals("output") ? sink.apply(data(frame)) : StreamConnection.HANDLED;
    }
}
