package dev.wrenn.host.api;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;

/**
 * What runs inside one running capsule: commands, processes, files. Obtained from
 * {@link Host#guest}; once the capsule stops running, every call fails with a {@link HostException}
 * ({@link HostError#CAPSULE_PAUSED}, {@link HostError#VM_EXITED}, ...). Paths are absolute or
 * relative to the capsule user's home directory.
 */
public interface Guest {
    /** Runs a foreground command to its end and collects its output (capped per stream). */
    ExecResult run(ExecRequest request);

    /**
     * Starts a process whose output the caller pulls; closing the stream kills it unless it is
     * detached. Its stdin is a pipe written through the stream; the request's stdin bytes, when
     * given, are written first and then stdin is closed (as for {@link #run}).
     */
    ProcessStream start(ExecRequest request);

    /** Starts a background process and leaves it running. */
    ProcessInfo startBackground(ExecRequest request);

    /**
     * Follows a process started earlier, by pid or tag: with {@code replay}, the last 64 KiB of its
     * output first. A process that ended unobserved can be attached to once: its output and its end.
     */
    ProcessStream attach(String pidOrTag, boolean replay);

    List<ProcessInfo> processes();

    /** Signals a process's group by pid or tag. */
    void signal(String pidOrTag, int signal);

    /**
     * Writes a file from {@code data} (parents created, memory bounded); returns its size. The file
     * is replaced only once all of {@code data} arrived: a write that fails leaves the old file.
     */
    long writeFile(String path, InputStream data, int mode);

    /** Streams a file into {@code sink} (memory bounded); returns its size. Nothing is written to a missing file's sink. */
    long readFile(String path, OutputStream sink);

    /** A small file from bytes in memory (mode 0644). */
    default long writeFile(String path, byte[] data) {
        return writeFile(path, new ByteArrayInputStream(data), 0644);
    }

    /** A small file into memory. */
    default byte[] readFile(String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        readFile(path, out);
        return out.toByteArray();
    }

    List<FileEntry> list(String path, int depth);

    FileEntry mkdir(String path);

    void remove(String path);

    /** A round trip to the guest agent. */
    Duration ping();
}
