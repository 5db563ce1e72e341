package dev.wrenn.host.guest;

import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessEvent.Source;
import java.util.Arrays;

/**
 * The host's end of one stream on a guest process: the EXEC that started it (its owner) or an
 * ATTACH. Output is pulled with {@link #next}; the guest gets credit for a chunk only when the
 * next one is asked for, so a consumer that stops pulling stops the process. Closing the session
 * ends the stream: the guest kills a process it owned unless that process is detached.
 */
public final class ExecSession implements AutoCloseable {
    private static final int STDIN_CHUNK = 64 * 1024;

    private final GuestChannel channel;
    private final StreamState stream;
    private final int pid;
    private final String tag;
    private final boolean pty;
    private final boolean input;
    private volatile boolean ended;
    private int handedOut;

    ExecSession(GuestChannel channel, StreamState stream, int pid, String tag, boolean pty, boolean input) {
        this.channel = channel;
        this.stream = stream;
        this.pid = pid;
        this.tag = tag;
        this.pty = pty;
        this.input = input;
    }

    public int pid() {
        return pid;
    }

    public String tag() {
        return tag;
    }

    public boolean pty() {
        return pty;
    }

    public boolean acceptsInput() {
        return input;
    }

    /**
     * The next chunk of output or the process's end. {@code deadlineNanos} (System.nanoTime, 0 =
     * none) bounds the wait; the channel closing, or this session being closed, always ends it.
     */
    public ProcessEvent next(long deadlineNanos) {
        if (handedOut > 0) {
            channel.grant(stream, handedOut);
            handedOut = 0;
        }
        Frame f = channel.next(stream, deadlineNanos, "output of pid " + pid);
        return switch (f.type()) {
            case FrameType.STDOUT -> output(Source.STDOUT, f);
            case FrameType.STDERR -> output(Source.STDERR, f);
            case FrameType.REPLAY -> output(Source.REPLAY, f);
            case FrameType.EXIT -> {
                ended = true;
                yield Messages.exit(f.record());
            }
            case FrameType.ERROR -> {
                ended = true;
                throw GuestException.from(f.record());
            }
            default -> throw new GuestProtocolException("unexpected frame type 0x"
                    + Integer.toHexString(f.type()) + " on the stream of pid " + pid);
        };
    }

    private ProcessEvent output(Source source, Frame f) {
        handedOut = f.payload().length;
        return new ProcessEvent.Output(source, f.payload());
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

    @Override
    public void close() {
        channel.release(stream, !ended);
    }

    /** Collects output up to a cap per stream, remembering whether anything was dropped. */
    static final class Collector {
        private final int cap;
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        private final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        boolean truncated;

        Collector(int cap) {
            this.cap = cap;
        }

        void accept(ProcessEvent.Output o) {
            java.io.ByteArrayOutputStream target = o.source() == Source.STDERR ? err : out;
            byte[] data = o.data();
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
