package dev.wrenn.cli;

import dev.wrenn.sdk.WrennException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Copies this command line's standard input to a process in a capsule as it is read (a pipe into
 * {@code exec}, the keys typed into {@code shell}), on a daemon thread of its own so that the command
 * can wait for the process meanwhile. Each write waits until it is sent, so a process that reads
 * slowly slows the reading here.
 */
final class InputForwarder {
    private static final int PIECE = 32 * 1024;

    private InputForwarder() {}

    /**
     * @param sink takes each piece read
     * @param atEnd runs once the input ended (or could not be read)
     */
    static void start(InputStream in, Consumer<byte[]> sink, Runnable atEnd) {
        Thread.ofPlatform().daemon().name("wrenn-stdin").start(() -> {
            try {
                forward(in, sink);
                atEnd.run();
            } catch (WrennException processGone) {
                // the process ended and its stream with it: what it was still to read no longer matters
            }
        });
    }

    private static void forward(InputStream in, Consumer<byte[]> sink) {
        byte[] buffer = new byte[PIECE];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                if (n > 0) sink.accept(Arrays.copyOf(buffer, n));
            }
        } catch (IOException unreadable) {
            // treated as the end of the input: the process gets end of file rather than waiting forever
        }
    }
}
