package dev.wrenn.host;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.host.api.FileEntry;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessInfo;
import dev.wrenn.host.api.ProcessStream;
import dev.wrenn.host.guest.ExecSession;
import dev.wrenn.host.guest.GuestChannel;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;

/** The inside of a capsule on this host: the guest protocol's calls, with the host's errors. */
final class LocalGuest implements Guest {
    private final GuestChannel channel;

    LocalGuest(GuestChannel channel) {
        this.channel = channel;
    }

    @Override
    public ExecResult run(ExecRequest request) {
        return HostErrors.translate(() -> channel.exec(request));
    }

    @Override
    public ProcessStream start(ExecRequest request) {
        return HostErrors.translate(() -> new Stream(channel.start(request)));
    }

    @Override
    public ProcessInfo startBackground(ExecRequest request) {
        return HostErrors.translate(() -> channel.startBackground(request));
    }

    @Override
    public ProcessStream attach(String pidOrTag, boolean replay) {
        return HostErrors.translate(() -> new Stream(channel.attach(pidOrTag, replay)));
    }

    @Override
    public List<ProcessInfo> processes() {
        return HostErrors.translate(channel::processes);
    }

    @Override
    public void signal(String pidOrTag, int signal) {
        HostErrors.translate(() -> channel.signal(pidOrTag, signal));
    }

    @Override
    public long writeFile(String path, InputStream data, int mode) {
        return HostErrors.translate(() -> channel.writeFile(path, data, mode));
    }

    @Override
    public long readFile(String path, OutputStream sink) {
        return HostErrors.translate(() -> channel.readFile(path, sink));
    }

    @Override
    public List<FileEntry> list(String path, int depth) {
        return HostErrors.translate(() -> channel.list(path, depth));
    }

    @Override
    public FileEntry mkdir(String path) {
        return HostErrors.translate(() -> channel.mkdir(path));
    }

    @Override
    public void remove(String path) {
        HostErrors.translate(() -> channel.remove(path));
    }

    @Override
    public Duration ping() {
        return HostErrors.translate(channel::ping);
    }

    /** A process stream whose failures are the host's. */
    private record Stream(ExecSession session) implements ProcessStream {
        @Override
        public int pid() {
            return session.pid();
        }

        @Override
        public String tag() {
            return session.tag();
        }

        @Override
        public boolean pty() {
            return session.pty();
        }

        @Override
        public boolean acceptsInput() {
            return session.acceptsInput();
        }

        @Override
        public ProcessEvent next() {
            return HostErrors.translate(() -> session.next(0));
        }

        @Override
        public void write(byte[] data) {
            HostErrors.translate(() -> session.write(data));
        }

        @Override
        public void closeStdin() {
            HostErrors.translate(session::closeStdin);
        }

        @Override
        public void resize(int rows, int cols) {
            HostErrors.translate(() -> session.resize(rows, cols));
        }

        @Override
        public void close() {
            session.close();
        }
    }
}
