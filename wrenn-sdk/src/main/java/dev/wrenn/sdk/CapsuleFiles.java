package dev.wrenn.sdk;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Reads and writes files in one running capsule; get it from {@link Capsule#files()}. Paths are
 * absolute or relative to the capsule user's home directory.
 *
 * <pre>{@code
 * capsule.files().write("/app/main.py", "print('hi')");
 * String code = capsule.files().read("/app/main.py");
 * for (FileEntry e : capsule.files().list("/app")) System.out.println(e.name());
 * }</pre>
 */
public final class CapsuleFiles {
    private final GuestCalls guest;

    CapsuleFiles(GuestCalls guest) {
        this.guest = guest;
    }

    /**
     * Writes text (UTF-8) to a file, replacing it; missing parent directories are created.
     *
     * @param path where to write
     * @param content the text
     */
    public void write(String path, String content) {
        write(path, content.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes bytes to a file, replacing it; missing parent directories are created.
     *
     * @param path where to write
     * @param content the bytes (at most 100 MiB)
     * @throws WrennValidationException when the content is over the server's limit
     */
    public void write(String path, byte[] content) {
        Futures.await(guest.write(path, Multipart.bytes(content)));
    }

    /**
     * Uploads a local file, streamed from disk (for files over 100 MiB, see {@link #upload(String, InputStream)}).
     *
     * @param path where to write in the capsule
     * @param localFile the file to upload (at most 100 MiB)
     */
    public void upload(String path, Path localFile) {
        Futures.await(guest.write(path, Multipart.file(localFile)));
    }

    /**
     * Uploads a stream of any size, read and sent as it goes (memory use does not grow with it);
     * missing parent directories are created and an existing file is replaced.
     *
     * @param path where to write in the capsule
     * @param content the bytes to write, read to its end and closed
     * @throws WrennTimeoutException when the upload takes longer than the long-operation timeout
     */
    public void upload(String path, InputStream content) {
        Futures.await(uploadAsync(path, content));
    }

    /**
     * {@link #upload(String, InputStream)}, without waiting; the stream is read on the client's threads.
     *
     * @param path where to write in the capsule
     * @param content the bytes to write, read to its end and closed
     * @return completes once every byte is on the capsule's disk
     */
    public CompletableFuture<Void> uploadAsync(String path, InputStream content) {
        return guest.upload(path, content);
    }

    /**
     * Downloads a file of any size into {@code out} as it arrives (memory use does not grow with it).
     * Not retried: after a failure part of the file may be in {@code out}.
     *
     * @param path the file to read
     * @param out where its bytes go; flushed at the end, not closed
     * @return the number of bytes written
     * @throws WrennNotFoundException when it does not exist (nothing is written then)
     */
    public long download(String path, OutputStream out) {
        return Futures.await(downloadAsync(path, out));
    }

    /**
     * {@link #download(String, OutputStream)}, without waiting; {@code out} is written on the client's threads.
     *
     * @param path the file to read
     * @param out where its bytes go; flushed at the end, not closed
     * @return completes with the number of bytes written
     */
    public CompletableFuture<Long> downloadAsync(String path, OutputStream out) {
        return guest.download(path, out);
    }

    /**
     * Reads a text file.
     *
     * @param path the file to read
     * @return its content decoded as UTF-8 (invalid sequences replaced)
     * @throws WrennNotFoundException when it does not exist
     */
    public String read(String path) {
        return new String(readBytes(path), StandardCharsets.UTF_8);
    }

    /**
     * Reads a file's exact bytes.
     *
     * @param path the file to read
     * @return its exact bytes
     * @throws WrennNotFoundException when it does not exist
     */
    public byte[] readBytes(String path) {
        return Futures.await(guest.read(path));
    }

    /**
     * Lists a directory's children.
     *
     * @param path a directory
     * @return its entries, sorted by name
     * @throws WrennNotFoundException when it does not exist
     */
    public List<FileEntry> list(String path) {
        return list(path, 1);
    }

    /**
     * Lists a directory down to {@code depth} levels.
     *
     * @param path a directory
     * @param depth how many levels to descend (1 = its children only; at most 32)
     * @return the entries, depth-first, sorted by name within each directory
     */
    public List<FileEntry> list(String path, int depth) {
        return Futures.await(guest.list(path, depth));
    }

    /**
     * Creates a directory and any missing parents.
     *
     * @param path the directory
     * @return the new directory
     * @throws WrennConflictException when it exists already
     */
    public FileEntry makeDir(String path) {
        return Futures.await(guest.makeDir(path));
    }

    /**
     * Removes a file, or a directory with everything in it.
     *
     * @param path what to remove
     * @throws WrennNotFoundException when it does not exist
     */
    public void remove(String path) {
        Futures.await(guest.remove(path));
    }

    /**
     * Whether a path exists (a symlink counts, wherever it points). Answered by listing its parent
     * directory.
     *
     * @param path the path
     * @return true when it exists
     */
    public boolean exists(String path) {
        String p = path.length() > 1 ? path.replaceAll("/+$", "") : path;
        int slash = p.lastIndexOf('/');
        String name = p.substring(slash + 1);
        if (p.equals("/") || name.equals(".") || name.equals("..")) return existsAsDirectory(p);
        String parent = slash < 0 ? "." : slash == 0 ? "/" : p.substring(0, slash);
        try {
            return list(parent, 1).stream().anyMatch(e -> e.name().equals(name));
        } catch (WrennNotFoundException | WrennValidationException noParent) {
            return false; // the parent is missing or is not a directory
        }
    }

    private boolean existsAsDirectory(String p) {
        try {
            list(p, 1);
            return true;
        } catch (WrennNotFoundException | WrennValidationException e) {
            return false;
        }
    }
}
