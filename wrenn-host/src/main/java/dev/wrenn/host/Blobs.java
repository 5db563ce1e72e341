package dev.wrenn.host;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.StoredFile;
import dev.wrenn.host.storage.BlockDigest;
import dev.wrenn.host.storage.FileOps;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files received from other hosts, kept by their digest ({@link BlockDigest}) in {@code DATA/blobs}:
 * a transfer that broke off goes on from its {@code .part}; a finished file is checked against its
 * digest before it counts. Templates and moved capsules are made of them ({@link FileSets}), so a
 * file two templates share is received once.
 */
final class Blobs {
    private static final Logger log = LoggerFactory.getLogger(Blobs.class);
    private static final int BLOCK = 1 << 20;
    /** Free disk a received file must leave: running guests' memory files grow into it. */
    private static final long DISK_RESERVE_MB = 1024;

    private final Path blobs;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    Blobs(Path dataDir) throws IOException {
        this.blobs = Files.createDirectories(dataDir.resolve("blobs"));
    }

    /** Waits for a transfer of the same file still writing (one that broke off on the other side). */
    long held(StoredFile f) {
        synchronized (lock(f.digest())) {
            return heldNow(f);
        }
    }

    private long heldNow(StoredFile f) {
        if (Files.exists(blob(f))) return f.size();
        Path part = part(f);
        try {
            return Files.exists(part) ? Math.min(Files.size(part), f.size()) : 0;
        } catch (IOException e) {
            throw HostErrors.io("could not read what was received of " + f.name(), e);
        }
    }

    long receive(StoredFile f, long offset, InputStream data) {
        synchronized (lock(f.digest())) {
            long held = heldNow(f);
            if (held == f.size() && offset == held) return held;
            if (offset != held) {
                throw HostErrors.invalidState("this host holds " + held + " bytes of " + f.name() + " (" + f.digest()
                        + "); a transfer must go on from there, not from " + offset);
            }
            long freeMb = FileOps.usableMb(blobs);
            if ((f.size() - held) >> 20 > freeMb - DISK_RESERVE_MB) {
                throw new HostException(HostError.DISK_FULL, "the host's disk has " + freeMb + " MiB free; " + f.name() + " needs "
                        + ((f.size() - held) >> 20) + " MiB more and " + DISK_RESERVE_MB + " MiB are kept free");
            }
            Path part = part(f);
            BlockDigest digest = new BlockDigest();
            try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                digest.update(part, offset);   // what an earlier transfer got
                long at = offset;
                byte[] buf = new byte[BLOCK];
                int n;
                IOException broken = null;
                try {
                    while (at < f.size() && (n = data.readNBytes(buf, 0, (int) Math.min(buf.length, f.size() - at))) > 0) {
                        // zero blocks stay holes: a guest's memory file is mostly zeros
                        if (!BlockDigest.isZero(buf, 0, n)) out.write(ByteBuffer.wrap(buf, 0, n), at);
                        digest.update(buf, 0, n);
                        at += n;
                    }
                } catch (IOException e) {
                    broken = e;
                }
                // a hole at the end has no block written: the length says how far the data came
                if (at > out.size()) extend(out, at);
                out.force(false);
                if (broken != null) {
                    log.atInfo().addKeyValue("file", f.name()).addKeyValue("held", at)
                            .log("transfer broke off; the next one goes on from here: {}", broken.getMessage());
                    throw new HostException(HostError.STREAM_CLOSED, "the transfer of " + f.name() + " broke off after " + at
                            + " of " + f.size() + " bytes (kept): " + broken.getMessage(), broken);
                }
                if (at < f.size()) return at;
            } catch (IOException e) {
                throw HostErrors.io("could not store " + f.name(), e);
            }
            keep(f, part, digest.finish());
            return f.size();
        }
    }

    /** Takes {@code twin}, a frozen file of this host with {@code f}'s digest, as received. */
    void adopt(StoredFile f, Path twin) throws IOException {
        synchronized (lock(f.digest())) {
            if (!Files.exists(blob(f))) FileOps.linkOrCopy(twin, blob(f));
        }
    }

    /**
     * Gives {@code f} its name {@code target} in a template or capsule being assembled: a link
     * (frozen files) or, for files a capsule writes, a copy of its own (a link would let the
     * capsule write into every other name of the file).
     */
    void placeAs(StoredFile f, Path target, boolean writable) throws IOException {
        Path b = blob(f);
        if (!Files.exists(b)) throw HostErrors.invalidState("file " + f.name() + " (" + f.digest() + ") has not been received");
        if (!writable) {
            FileOps.linkOrCopy(b, target);
            return;
        }
        FileOps.copySparse(b, target);
        target.toFile().setWritable(true, true);
    }

    /** Forgets received files nothing links any more (a template deleted, a capsule destroyed or given its own copies). */
    void prune() {
        try (Stream<Path> list = Files.list(blobs)) {
            for (Path b : list.toList()) {
                if (!b.getFileName().toString().endsWith(".part") && (int) Files.getAttribute(b, "unix:nlink") == 1) {
                    Files.deleteIfExists(b);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            log.atWarn().log("could not prune received template files: {}", e.getMessage());
        }
    }

    /** Keeps a complete file under its digest if it has it; throws it away if not. */
    private void keep(StoredFile f, Path part, String got) {
        try {
            if (!got.equals(f.digest())) {
                Files.deleteIfExists(part);
                throw new HostException(HostError.HOST_FAILURE, "received " + f.name() + " has digest " + got + ", expected "
                        + f.digest() + "; it was thrown away");
            }
            part.toFile().setWritable(false, false);
            Files.move(part, blob(f), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw HostErrors.io("could not keep " + f.name(), e);
        }
    }

    private static void extend(FileChannel out, long size) throws IOException {
        out.write(ByteBuffer.wrap(new byte[1]), size - 1);
    }

    private Path blob(StoredFile f) {
        return blobs.resolve(f.digest());
    }

    private Path part(StoredFile f) {
        return blobs.resolve(f.digest() + ".part");
    }

    private Object lock(String key) {
        return locks.computeIfAbsent(key, k -> new Object());
    }
}
