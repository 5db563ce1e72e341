package dev.wrenn.sdk;

import java.util.function.Consumer;

/**
 * Receives a streamed command's output as it comes, exact bytes in the order the capsule sent them.
 * Give one to {@link CapsuleCommands#stream(String, OutputHandler)} or
 * {@link CapsuleCommands#connect(String, OutputHandler)}; implement the methods you need.
 *
 * <p>The methods are called one at a time, on the client's HTTP threads. The next piece of output is
 * asked of the server only when the call before returns, so a slow handler slows the command itself
 * (its writes block once the pipes between are full) instead of filling memory. Do not wait for the
 * command's exit from within a handler: the exit comes after the output the handler is holding up.
 * A handler that throws ends the stream with that exception (closing it, which kills a command
 * that was not started detached).
 *
 * <pre>{@code
 * capsule.commands().stream("make all", OutputHandler.text(System.out::print, System.err::print)).waitFor();
 * }</pre>
 */
public interface OutputHandler {
    /**
     * Standard output, as the command wrote it.
     *
     * @param data the next bytes; never empty
     */
    default void onStdout(byte[] data) {
    }

    /**
     * Standard error, as the command wrote it.
     *
     * @param data the next bytes; never empty
     */
    default void onStderr(byte[] data) {
    }

    /**
     * Output the process produced before {@link CapsuleCommands#connect connect} attached to it (up to
     * its last 64 KiB), which comes before any live output: stdout and stderr interleaved as they were
     * written, with no telling them apart. By default it goes to {@link #onStdout}; override this to
     * keep it apart from live output.
     *
     * @param data the next replayed bytes
     */
    default void onReplay(byte[] data) {
        onStdout(data);
    }

    /**
     * A handler that decodes each stream as UTF-8 (invalid sequences replaced with U+FFFD, a character
     * split between two pieces of output kept whole), for commands that print text.
     *
     * @param stdout receives standard output (and replayed output) as text
     * @param stderr receives standard error as text
     * @return the handler
     */
    static OutputHandler text(Consumer<String> stdout, Consumer<String> stderr) {
        return new OutputHandler() {
            private final Utf8Chunks out = new Utf8Chunks();
            private final Utf8Chunks err = new Utf8Chunks();

            @Override
            public void onStdout(byte[] data) {
                stdout.accept(out.decode(data));
            }

            @Override
            public void onStderr(byte[] data) {
                stderr.accept(err.decode(data));
            }
        };
    }
}
