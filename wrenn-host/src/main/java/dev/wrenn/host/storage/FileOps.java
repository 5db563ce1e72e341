package dev.wrenn.host.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** File-system steps the host agent relies on for durability and for sharing frozen files. */
public final class FileOps {
    public static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private FileOps() {}

    /** Writes JSON through a temporary file and a rename, so a crash leaves the old or the new file. */
    public static void writeJsonAtomically(Path file, Object value) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.write(tmp, JSON.writeValueAsBytes(value));
            fsync(tmp);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDir(file.getParent());
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);   // a full disk must not leave half a record behind
            } catch (IOException ignored) {
                // the original error says more
            }
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    /** Free space (for unprivileged writers) of the file system holding {@code path}, in MiB; 0 when it cannot be read. */
    public static long usableMb(Path path) {
        try {
            return Files.getFileStore(path).getUsableSpace() >> 20;
        } catch (IOException e) {
            return 0;
        }
    }

    public static <T> T readJson(Path file, Class<T> type) {
        try {
            return JSON.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + file, e);
        }
    }

    public static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * Makes several files durable at once: their flushes run concurrently, so the file system
     * can fold them into one journal commit instead of one commit after another.
     */
    public static void fdatasyncAll(List<Path> files) throws IOException {
        List<java.util.concurrent.Future<?>> pending = new java.util.ArrayList<>();
        try (var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (Path f : files) {
                pending.add(exec.submit(() -> {
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                        ch.force(false);
                    }
                    return null;
                }));
            }
            for (var p : pending) p.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while flushing files", e);
        }
    }

    public static void fsyncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * Links {@code source} as {@code target} (a second name for the same frozen file, so deleting
     * one directory never breaks another); copies, sparse, when they are on different file systems.
     */
    public static void linkOrCopy(Path source, Path target) throws IOException {
        try {
            Files.createLink(target, source);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (IOException | UnsupportedOperationException e) {
            copySparse(source, target);
        }
    }

    /**
     * Writes a freshly filled RAM file to disk now, in the background, so the capsule's next pause
     * flushes only what changed since. A failure here only means that pause flushes more.
     */
    public static void writeBackInBackground(Path memoryFile) {
        Thread.ofVirtual().name("writeback-" + memoryFile.getParent().getFileName()).start(() -> {
            try {
                fsync(memoryFile);
            } catch (IOException e) {
                // the file is gone (the capsule destroyed) or the pause will flush it
            }
        });
    }

    /**
     * Copies a RAM file: holes and zero blocks stay holes, and a file system that shares extents
     * (XFS, btrfs) shares them instead of copying.
     */
    public static void copySparse(Path source, Path target) throws IOException {
        Commands.run(null, "cp", "--sparse=always", "--reflink=auto", source.toString(), target.toString());
    }

    /**
     * Deletes a directory tree; a missing tree is not an error. Another thread may delete or write
     * in the same tree meanwhile (a VM's files while it ends): the walk is retried a few times.
     */
    public static void deleteTree(Path dir) {
        for (int attempt = 1; Files.exists(dir); attempt++) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.deleteIfExists(p);
                    } catch (DirectoryNotEmptyException | NoSuchFileException ignored) {
                        // a concurrent writer or an already removed entry: the next walk sees what is left
                    } catch (IOException e) {
                        throw new UncheckedIOException("could not delete " + p, e);
                    }
                });
            } catch (NoSuchFileException e) {
                // removed under the walk: the next attempt finds it gone or walks what is left
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException) || attempt >= 5) throw e;
            } catch (IOException e) {
                throw new UncheckedIOException("could not delete " + dir, e);
            }
            if (attempt >= 5 && Files.exists(dir)) throw new UncheckedIOException(new DirectoryNotEmptyException(dir.toString()));
        }
    }

    /** Bytes a tree really occupies on disk (sparse files count their allocated blocks only). */
    public static long allocatedBytes(Path path) {
        try {
            return Long.parseLong(Commands.run(null, "du", "-s", "--block-size=1", path.toString()).trim().split("\\s+")[0]);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
