package dev.wrenn.host.guest;

import java.util.Arrays;

/**
 * A running foreground process (or terminal) in the guest: feed it input, resize its terminal,
 * and pump its output until it exits. Closing an unfinished session kills the process.
 */
public final class ExecSession implements AutoCloseable {
    private static final int STDIN_CHUNK = 64 * 1024;

    private final GuestChannel channel;
    private final StreamState stream;
    private final int pid;
    private volatile boolean exited;

    ExecSession(GuestChannel channel, StreamState stream, int pid) {
        this.channel = channel;
        this.stream = stream;
        this.pid = pid;
    }

    public int pid() {
        return pid;
    }

    /** Sends input, waiting for the guest's credit; input after the process exited is dropped. */
    public void write(byte[] data) {
        channel.sendUnderCredit(stream, FrameType.STDIN, data, STDIN_CHUNK, "stdin credit for pid " + pid);
    }

    public void closeStdin() {
        channel.send(new Frame(FrameType.STDIN_CLOSE, stream.id, new byte[0]));
    }

    public void resize(int rows, int cols) {
        channel.send(Frame.of(FrameType.RESIZE, stream.id,
                Record.builder().put("rows", rows).put("cols", cols).build()));
    }

    /**
     * Delivers output to {@code sink} until the process exits. {@code deadlineNanos} (System.nanoTime,
     * 0 = none) bounds the whole wait; the channel closing always ends it.
     */
    public ExitStatus await(OutputSink sink, long deadlineNanos) {
        while (true) {
            Frame f = channel.next(stream, deadlineNanos, "output of pid " + pid);
            switch (f.type()) {
                case FrameType.STDOUT, FrameType.STDERR -> {
                    sink.accept(f.type() == FrameType.STDERR, f.payload());
                    channel.grant(stream, f.payload().length);
                }
                case FrameType.EXIT -> {
                    exited = true;
                    return ExitStatus.from(f.record());
                }
                case FrameType.ERROR -> {
                    exited = true;
                    throw GuestException.from(f.record());
                }
                default -> throw new GuestProtocolException("unexpected frame type 0x"
                        + Integer.toHexString(f.type()) + " on the stream of pid " + pid);
            }
        }
    }

    @Override
    public void close() {
        channel.release(stream, !exited);
    }

    /** Collects output up to a cap per stream, remembering whether anything was dropped. */
    static final class Collector implements OutputSink {
        private final int cap;
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        private final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        boolean truncated;

        Collector(int cap) {
            this.cap = cap;
        }

        @Override
        public void accept(boolean stderr, byte[] data) {
            java.io.ByteArrayOutputStream target = stderr ? err : out;
            int room = cap - target.size();
            if (data.length > room) {
                truncated = true;
                target.write(data, 0, Math.max(room, 0));
            } else {
                target.writeBytes(data);
            }
        }

        byte[] stdout() {
            return out.toByteArray();
        }

        byte[] stderr() {
            return err.toByteArray();
        }
    }

    static byte[] slice(byte[] data, int from, int len) {
        return Arrays.copyOfRange(data, from, from + len);
    }
}
