package dev.wrenn.server.capsule;

import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A process stream whose traffic is the capsule's activity (api.md §4: input, output and resize
 * reset the inactivity clock), and which may hold the capsule in use until it is closed.
 */
final class ActiveStream implements ProcessStream {
    private final ProcessStream stream;
    private final ActivityTracker activity;
    private final String capsuleId;
    private final ActivityTracker.Use use;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** {@code use}: released on close (null: the stream does not keep the capsule from auto-pause). */
    ActiveStream(ProcessStream stream, ActivityTracker activity, String capsuleId, ActivityTracker.Use use) {
        this.stream = stream;
        this.activity = activity;
        this.capsuleId = capsuleId;
        this.use = use;
    }

    @Override
    public int pid() {
        return stream.pid();
    }

    @Override
    public String tag() {
        return stream.tag();
    }

    @Override
    public boolean pty() {
        return stream.pty();
    }

    @Override
    public boolean acceptsInput() {
        return stream.acceptsInput();
    }

    @Override
    public ProcessEvent next() {
        ProcessEvent e = stream.next();
        activity.touch(capsuleId);
        return e;
    }

    @Override
    public void write(byte[] data) {
        activity.touch(capsuleId);
        stream.write(data);
    }

    @Override
    public void closeStdin() {
        stream.closeStdin();
    }

    @Override
    public void resize(int rows, int cols) {
        activity.touch(capsuleId);
        stream.resize(rows, cols);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            stream.close();
        } finally {
            if (use != null) use.close();
        }
    }
}
