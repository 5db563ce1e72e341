package dev.wrenn.host.guest;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.host.api.FileEntry;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.ProcessEvent;
import dev.wrenn.host.api.ProcessInfo;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's end of the guest protocol (docs/guest-protocol.md): many concurrent requests over
 * one byte stream, each on its own stream id, with credit-based back-pressure. Every wait is
 * bounded, and nothing the guest sends can make this side allocate without bound or hang.
 */
public final class GuestChannel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GuestChannel.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration HELLO_RETRY = Duration.ofMillis(200);
    private static final int FILE_CHUNK = 256 * 1024;
    private static final int MAX_STREAMS = 256;
    /** Output kept of one collected exec per stream; beyond it the result says truncated. */
    public static final int DEFAULT_OUTPUT_CAP = 16 << 20;
    private static final int MAX_LIST_ENTRIES = 100_000;

    private final String name;
    private final InputStream in;
    private final OutputStream out;
    private final Closeable transport;
    private final Duration callTimeout;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Map<Integer, StreamState> streams = new ConcurrentHashMap<>();
    private final AtomicInteger lastStreamId = new AtomicInteger();
    private final CompletableFuture<Void> synced = new CompletableFuture<>();
    private final CompletableFuture<ChannelClosedException> closed = new CompletableFuture<>();
    private final String nonce = HexFormat.of().formatHex(randomBytes());
    private final Thread reader;

    private GuestChannel(String name, InputStream in, OutputStream out, Closeable transport, Duration callTimeout) {
        this.name = name;
        this.in = in;
        this.out = out;
        this.transport = transport;
        this.callTimeout = callTimeout;
        this.reader = Thread.ofVirtual().name("guest-reader-" + name).unstarted(this::readLoop);
    }

    /**
     * Opens a channel over existing streams and completes the HELLO handshake within
     * {@code connectTimeout}, resending HELLO until the guest answers (it may still be booting).
     */
    public static GuestChannel open(String name, InputStream in, OutputStream out, Closeable transport,
                                    Duration connectTimeout, Duration callTimeout) {
        GuestChannel ch = new GuestChannel(name, in, out, transport, callTimeout);
        ch.reader.start();
        try {
            ch.handshake(connectTimeout);
        } catch (RuntimeException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    /** Connects to the unix socket of a VM's virtio-serial port and handshakes. */
    public static GuestChannel connect(String name, Path socket, Duration connectTimeout, Duration callTimeout)
            throws IOException {
        SocketChannel sc = UnixSockets.connect(socket);
        return open(name, new ChannelInput(sc), new ChannelOutput(sc), sc, connectTimeout, callTimeout);
    }

    // ---- requests -------------------------------------------------------------------------

    public Duration ping() {
        long t0 = System.nanoTime();
        call(FrameType.PING, Record.empty());
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Tells a restored guest who it is now: id, hostname, wall clock, fresh entropy. */
    public void init(GuestIdentity identity) {
        call(FrameType.INIT, identity.toRecord(Instant.now()));
    }

    /** Sets a resumed guest's wall clock (an INIT with the time alone): it was stopped while the world went on. */
    public void setClock() {
        call(FrameType.INIT, GuestIdentity.clockOnly(Instant.now()));
    }

    public void freeze(Duration timeout) {
        call(FrameType.FREEZE, Record.empty(), timeout);
    }

    public void thaw(Duration timeout) {
        call(FrameType.THAW, Record.empty(), timeout);
    }

    /** Runs a foreground command to completion and collects its output (capped per stream). */
    public ExecResult exec(ExecRequest request) {
        return exec(request, DEFAULT_OUTPUT_CAP);
    }

    public ExecResult exec(ExecRequest request, int outputCap) {
        if (request.background()) throw new IllegalArgumentException("exec collects output; use startBackground");
        ExecSession.Collector collector = new ExecSession.Collector(outputCap);
        long deadline = request.timeout().isZero() ? 0
                : System.nanoTime() + request.timeout().plus(callTimeout).toNanos();
        try (ExecSession session = open(request, request.stdin() != null)) {
            while (true) {
                ProcessEvent e = session.next(deadline);
                if (e instanceof ProcessEvent.Output o) {
                    collector.accept(o);
                } else if (e instanceof ProcessEvent.Exited x) {
                    return new ExecResult(x.exitCode(), x.signal(), x.timedOut(), collector.stdout(),
                            collector.stderr(), x.durationMs(), collector.truncated);
                }
            }
        }
    }

    /**
     * Starts a foreground process (or terminal) whose output the caller pulls. Its stdin is a pipe the
     * session writes to; the request's stdin bytes, when given, are written first and then it is closed.
     */
    public ExecSession start(ExecRequest request) {
        return open(request, true);
    }

    private ExecSession open(ExecRequest request, boolean stdinPipe) {
        if (request.background()) throw new IllegalArgumentException("a background process has no stream; use startBackground");
        StreamState s = openStream();
        ExecSession session;
        try {
            send(Frame.of(FrameType.EXEC, s.id, Messages.exec(request, stdinPipe)));
            Record ok = expectOk(next(s, deadline(callTimeout), "the start of " + request.argv().get(0)));
            session = new ExecSession(this, s, (int) ok.number("pid", -1), ok.string("tag").orElse(request.tag()),
                    request.pty(), stdinPipe || request.pty());
        } catch (RuntimeException e) {
            release(s, false);
            throw e;
        }
        if (request.stdin() != null) {
            Thread.ofVirtual().name("guest-stdin-" + name).start(() -> feed(session, request.stdin()));
        }
        return session;
    }

    /**
     * Follows a process started earlier (by pid or tag), with the last 64 KiB of its output first
     * when {@code replay}; GuestException ESRCH when there is no such process.
     */
    public ExecSession attach(String pidOrTag, boolean replay) {
        StreamState s = openStream();
        try {
            send(Frame.of(FrameType.ATTACH, s.id, target(pidOrTag).put("replay", replay).build()));
            Record ok = expectOk(next(s, deadline(callTimeout), "the attach to " + pidOrTag));
            return new ExecSession(this, s, (int) ok.number("pid", -1), ok.string("tag").orElse(null), ok.flag("pty"),
                    ok.flag("stdin"));
        } catch (RuntimeException e) {
            release(s, false);
            throw e;
        }
    }

    /** Starts a background process; its output goes to its log and replay buffer in the guest. */
    public ProcessInfo startBackground(ExecRequest request) {
        if (!request.background()) throw new IllegalArgumentException("not a background request");
        Record ok = call(FrameType.EXEC, Messages.exec(request, false));
        return new ProcessInfo((int) ok.number("pid", -1), ok.string("tag").orElse(request.tag()), request.argv(),
                true, false);
    }

    public List<ProcessInfo> processes() {
        return call(FrameType.PS, Record.empty()).records("proc").stream().map(Messages::process).toList();
    }

    /** Signals a process group by pid or tag; GuestException ESRCH when there is no such process. */
    public void signal(String pidOrTag, int signal) {
        call(FrameType.SIGNAL, target(pidOrTag).put("signal", signal).build());
    }

    private static Record.Builder target(String pidOrTag) {
        boolean pid = !pidOrTag.isEmpty() && pidOrTag.chars().allMatch(Character::isDigit);
        return Record.builder().put(pid ? "pid" : "tag", pidOrTag);
    }

    public byte[] readFile(String path) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        readFile(path, buf);
        return buf.toByteArray();
    }

    /** Streams a guest file into {@code sink}; returns its size. */
    public long readFile(String path, OutputStream sink) {
        long[] total = {0};
        streamed(FrameType.READ, Record.builder().put("path", path).build(), FrameType.DATA, "data of " + path, f -> {
            try {
                sink.write(f.payload());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            total[0] += f.payload().length;
        });
        return total[0];
    }

    public void writeFile(String path, byte[] data) {
        writeFile(path, new java.io.ByteArrayInputStream(data), 0644);
    }

    /** Writes a guest file from {@code source} (parents created); returns its size. */
    public long writeFile(String path, InputStream source, int mode) {
        StreamState s = openStream();
        boolean done = false;
        try {
            // atomic: an upload that breaks off leaves the old file, never half of the new one
            send(Frame.of(FrameType.WRITE, s.id, Record.builder().put("path", path)
                    .put("mode", Integer.toOctalString(mode)).put("atomic", true).build()));
            byte[] chunk = new byte[FILE_CHUNK];
            while (true) {
                int n = source.readNBytes(chunk, 0, chunk.length);
                if (n <= 0) break;
                if (!sendUnderCredit(s, FrameType.WRITE_DATA, ExecSession.slice(chunk, 0, n), FILE_CHUNK,
                        "write credit for " + path)) {
                    break;
                }
            }
            send(new Frame(FrameType.WRITE_END, s.id, new byte[0]));
            Record ok = expectOk(next(s, deadline(callTimeout), "the end of writing " + path));
            done = true;
            return ok.number("size", -1);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            release(s, !done);
        }
    }

    public FileEntry stat(String path) {
        return Messages.entry(call(FrameType.STAT, Record.builder().put("path", path).build()));
    }

    public List<FileEntry> list(String path, int depth) {
        List<FileEntry> entries = new ArrayList<>();
        streamed(FrameType.LIST, Record.builder().put("path", path).put("depth", depth).build(), FrameType.ENTRIES,
                "the listing of " + path, f -> {
                    for (Record r : f.record().records("entry")) {
                        if (entries.size() >= MAX_LIST_ENTRIES) {
                            throw new GuestProtocolException("guest listed more than " + MAX_LIST_ENTRIES + " entries");
                        }
                        entries.add(Messages.entry(r));
                    }
                });
        return entries;
    }

    public FileEntry mkdir(String path) {
        return Messages.entry(call(FrameType.MKDIR, Record.builder().put("path", path).build()));
    }

    public void remove(String path) {
        call(FrameType.REMOVE, Record.builder().put("path", path).build());
    }

    /** Completes (with the cause) when the channel is gone: the VM died, or it was closed. */
    public CompletableFuture<ChannelClosedException> closedFuture() {
        return closed;
    }

    public boolean isOpen() {
        return !closed.isDone();
    }

    @Override
    public void close() {
        close(HostError.AGENT_FAILURE, "guest channel " + name + " was closed");
    }

    /** Closes the channel; every stream still open on it fails with {@code reason}. */
    public void close(HostError reason, String message) {
        shutdown(new ChannelClosedException(reason, message));
    }

    // ---- machinery ------------------------------------------------------------------------

    private Record call(int type, Record request) {
        return call(type, request, callTimeout);
    }

    private Record call(int type, Record request, Duration timeout) {
        StreamState s = openStream();
        boolean done = false;
        try {
            send(Frame.of(type, s.id, request));
            Record r = expectOk(next(s, deadline(timeout), "the answer to request 0x" + Integer.toHexString(type)));
            done = true;
            return r;
        } catch (GuestException e) {
            done = true;
            throw e;
        } finally {
            release(s, !done);
        }
    }

    /**
     * A request answered by data frames of one type (each consumed, then credited back) and an END;
     * an ERROR ends it with a GuestException. Returns the END record.
     */
    private Record streamed(int type, Record request, int dataType, String awaited,
                            java.util.function.Consumer<Frame> onData) {
        StreamState s = openStream();
        boolean done = false;
        try {
            send(Frame.of(type, s.id, request));
            while (true) {
                Frame f = next(s, deadline(callTimeout), awaited);
                if (f.type() == dataType) {
                    onData.accept(f);
                    grant(s, f.payload().length);
                } else if (f.type() == FrameType.END) {
                    done = true;
                    return f.record();
                } else if (f.type() == FrameType.ERROR) {
                    done = true;
                    throw GuestException.from(f.record());
                } else {
                    throw unexpected(f, awaited);
                }
            }
        } finally {
            release(s, !done);
        }
    }

    private static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    private Record expectOk(Frame f) {
        return switch (f.type()) {
            case FrameType.OK -> f.record();
            case FrameType.ERROR -> throw GuestException.from(f.record());
            default -> throw unexpected(f, "a request");
        };
    }

    private GuestProtocolException unexpected(Frame f, String during) {
        return new GuestProtocolException("guest sent frame type 0x" + Integer.toHexString(f.type())
                + " during " + during + " on stream " + f.stream());
    }

    Frame next(StreamState s, long deadlineNanos, String awaited) {
        try {
            return s.next(deadlineNanos, awaited + " from " + name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestProtocolException("interrupted waiting for " + awaited);
        }
    }

    void grant(StreamState s, int bytes) {
        s.grant(bytes);
        send(Frame.of(FrameType.CREDIT, s.id, Record.builder().put("bytes", bytes).build()));
    }

    /** Sends data in chunks within the guest's credit; false when the guest ended the stream first. */
    boolean sendUnderCredit(StreamState s, int type, byte[] data, int chunk, String awaited) {
        int off = 0;
        while (off < data.length) {
            long credit;
            try {
                credit = s.awaitCredit(deadline(callTimeout), awaited + " from " + name);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GuestProtocolException("interrupted waiting for " + awaited);
            }
            if (credit == 0) return false;
            int n = (int) Math.min(Math.min(credit, chunk), data.length - off);
            s.spendCredit(n);
            send(new Frame(type, s.id, ExecSession.slice(data, off, n)));
            off += n;
        }
        return true;
    }

    private static void feed(ExecSession session, byte[] stdin) {
        try {
            session.write(stdin);
            session.closeStdin();
        } catch (RuntimeException e) {
            log.atDebug().addKeyValue("pid", session.pid()).log("stdin feed ended early: {}", e.getMessage());
        }
    }

    private StreamState openStream() {
        ChannelClosedException gone = closed.getNow(null);
        if (gone != null) throw new ChannelClosedException(gone.reason(), gone.getMessage());
        if (streams.size() >= MAX_STREAMS) throw new GuestProtocolException("too many concurrent requests to " + name);
        int id = lastStreamId.updateAndGet(v -> v >= Integer.MAX_VALUE - 1 ? 1 : v + 1);
        StreamState s = new StreamState(id);
        streams.put(id, s);
        return s;
    }

    /**
     * Forgets a stream, waking a reader still waiting on it; {@code abandon} tells the guest to end it
     * (which kills a process the stream owns and that is not detached).
     */
    void release(StreamState s, boolean abandon) {
        streams.remove(s.id);
        s.fail(new ChannelClosedException(HostError.STREAM_CLOSED, "stream " + s.id + " of " + name + " was closed"));
        if (abandon && !closed.isDone()) {
            try {
                send(new Frame(FrameType.CLOSE, s.id, new byte[0]));
            } catch (RuntimeException e) {
                log.atDebug().addKeyValue("channel", name).log("could not close stream {}: {}", s.id, e.getMessage());
            }
        }
    }

    void send(Frame frame) {
        ByteBuffer bytes = frame.encode();
        writeLock.lock();
        try {
            out.write(bytes.array(), 0, bytes.limit());
            out.flush();
        } catch (IOException e) {
            ChannelClosedException failure = new ChannelClosedException(HostError.AGENT_FAILURE,
                    "guest channel " + name + " broke: " + e.getMessage());
            shutdown(failure);
            throw failure;
        } finally {
            writeLock.unlock();
        }
    }

    private void handshake(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Frame hello = Frame.of(FrameType.HELLO, 0, Record.builder().put("nonce", nonce).build());
        while (true) {
            send(hello);
            try {
                synced.get(HELLO_RETRY.toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new GuestTimeoutException("guest agent of " + name + " did not answer HELLO within " + timeout);
                }
            } catch (ExecutionException e) {
                throw new GuestProtocolException("guest channel " + name + " closed during the handshake", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GuestProtocolException("interrupted during the handshake with " + name);
            }
        }
    }

    private void readLoop() {
        FrameReader frames = new FrameReader(in);
        try {
            while (true) {
                Frame f = frames.next();
                if (!synced.isDone()) {
                    if (f.type() == FrameType.HELLO_ACK && f.stream() == 0 && isOurNonce(f)) {
                        synced.complete(null);
                    }
                    continue;
                }
                StreamState s = streams.get(f.stream());
                if (s != null) s.deliver(f);
            }
        } catch (EOFException e) {
            shutdown(new ChannelClosedException(HostError.AGENT_FAILURE, "guest channel " + name + " closed by the other side"));
        } catch (IOException | RuntimeException e) {
            shutdown(new ChannelClosedException(HostError.AGENT_FAILURE, "guest channel " + name + " failed: " + e.getMessage()));
        }
    }

    private boolean isOurNonce(Frame f) {
        try {
            return f.record().string("nonce").map(nonce::equals).orElse(false);
        } catch (GuestProtocolException e) {
            return false;
        }
    }

    private void shutdown(ChannelClosedException cause) {
        if (!closed.complete(cause)) return;
        synced.completeExceptionally(cause);
        try {
            transport.close();
        } catch (IOException e) {
            log.atDebug().addKeyValue("channel", name).log("closing transport: {}", e.getMessage());
        }
        streams.values().forEach(s -> s.fail(cause));
        streams.clear();
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return b;
    }

    /** Reads a blocking socket channel without the adaptor streams' shared lock. */
    private static final class ChannelInput extends InputStream {
        private final SocketChannel ch;

        ChannelInput(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            return ch.read(ByteBuffer.wrap(b, off, len));
        }
    }

    private static final class ChannelOutput extends OutputStream {
        private final SocketChannel ch;

        ChannelOutput(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) ch.write(buf);
        }
    }
}
