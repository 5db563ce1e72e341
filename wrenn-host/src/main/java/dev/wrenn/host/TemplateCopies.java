package dev.wrenn.host;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.StoredFile;
import dev.wrenn.host.storage.BlockDigest;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.Names;
import dev.wrenn.host.storage.TemplateMeta;
import dev.wrenn.host.storage.TemplateStore;
import dev.wrenn.host.vmm.DeviceLayout;
import dev.wrenn.host.vmm.UnsupportedLayoutException;
import dev.wrenn.host.vmm.VmmDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot templates copied between hosts, file by file. Received files are kept by their digest
 * ({@link BlockDigest}) in {@code DATA/blobs} (a transfer that broke off resumes from its {@code .part}; a finished
 * file is checked against its digest before it counts); a template is installed by linking them
 * into its directory, so a file two templates share is received once. A template's own digests
 * are computed the first time another host asks for it and kept beside it ({@value #DIGESTS}).
 */
final class TemplateCopies {
    private static final Logger log = LoggerFactory.getLogger(TemplateCopies.class);
    static final String DIGESTS = "files.digest.json";
    private static final int BLOCK = 1 << 20;
    /** Free disk a received file must leave: running guests' memory files grow into it. */
    private static final long DISK_RESERVE_MB = 1024;

    private final TemplateStore store;
    private final Path blobs;
    private final VmmDriver vmm;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    /** {@code vmm}: this host's, which must be able to restore the device layout an installed template was saved with. */
    TemplateCopies(TemplateStore store, Path dataDir, VmmDriver vmm) throws IOException {
        this.store = store;
        this.blobs = Files.createDirectories(dataDir.resolve("blobs"));
        this.vmm = vmm;
    }

    /** The files of a snapshot template (not its VM's logs) with their digests (hashed once, then kept beside it). */
    List<StoredFile> files(String name) {
        TemplateMeta t = snapshot(name);
        Path dir = store.dir(t.name());
        synchronized (lock("digests:" + name)) {
            Path kept = dir.resolve(DIGESTS);
            if (Files.exists(kept)) return List.of(FileOps.readJson(kept, StoredFile[].class));
            List<StoredFile> files = new ArrayList<>();
            try (Stream<Path> list = Files.list(dir)) {
                for (Path f : list.sorted().toList()) {
                    String file = f.getFileName().toString();
                    // what the template's VM logged is not part of it; an empty file carries nothing
                    if (file.equals(DIGESTS) || file.endsWith(".log") || Files.size(f) == 0) continue;
                    files.add(new StoredFile(file, Files.size(f), BlockDigest.of(f)));
                }
            } catch (IOException e) {
                throw HostErrors.io("could not read the files of template " + name, e);
            }
            FileOps.writeJsonAtomically(kept, files.toArray(StoredFile[]::new));
            return files;
        }
    }

    InputStream open(String name, String file, long offset) {
        TemplateMeta t = snapshot(name);
        if (files(name).stream().noneMatch(f -> f.name().equals(file))) {
            throw HostErrors.notFound("template " + name + " has no file " + file);
        }
        try {
            SeekableByteChannel ch = Files.newByteChannel(store.dir(t.name()).resolve(file));
            if (offset < 0 || offset > ch.size()) {
                ch.close();
                throw HostErrors.invalidArgument("offset " + offset + " is outside " + file + " of template " + name);
            }
            ch.position(offset);
            return Channels.newInputStream(ch);
        } catch (IOException e) {
            throw HostErrors.io("could not open " + file + " of template " + name, e);
        }
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

    /** Installs template {@code name} from received files; a template of that name already here is kept. */
    TemplateMeta install(String name, List<StoredFile> files) {
        Names.template(name);
        synchronized (lock("install:" + name)) {
            var existing = store.get(name);
            // a template of that name from before holds other files when it was replaced meanwhile
            if (existing.isPresent() && Set.copyOf(files(name)).equals(Set.copyOf(files))) return existing.get();
            try {
                Path staging = store.newStagingDir();
                for (StoredFile f : files) {
                    if (!Files.exists(blob(f))) {
                        FileOps.deleteTree(staging);
                        throw HostErrors.invalidState("file " + f.name() + " of template " + name + " has not been received");
                    }
                    FileOps.linkOrCopy(blob(f), staging.resolve(f.name()));
                }
                Path metaFile = staging.resolve(TemplateMeta.FILE);
                TemplateMeta meta = Files.exists(metaFile) ? FileOps.readJson(metaFile, TemplateMeta.class) : null;
                String problem = problem(name, meta, files);
                if (problem != null) {
                    FileOps.deleteTree(staging);
                    throw HostErrors.invalidArgument("template " + name + " cannot be installed here: " + problem);
                }
                FileOps.writeJsonAtomically(staging.resolve(DIGESTS), files.toArray(StoredFile[]::new));
                store.place(staging, name);
                log.atInfo().addKeyValue("template", name).addKeyValue("files", files.size()).log("template copy installed");
                return meta;
            } catch (IOException e) {
                throw HostErrors.io("could not install template " + name, e);
            }
        }
    }

    /** Forgets received files no template links any more (after a template was deleted). */
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

    /** Why the received template must not be installed, or null: it must describe itself and fit this host's VMM. */
    private String problem(String name, TemplateMeta meta, List<StoredFile> files) {
        if (meta == null) return "it has no " + TemplateMeta.FILE;
        if (!name.equals(meta.name())) return "its " + TemplateMeta.FILE + " names " + meta.name();
        if (meta.builtIn()) return "it is a built-in template, which every host makes itself";
        try {
            vmm.requireSupported(DeviceLayout.parse(meta.layout()));
        } catch (UnsupportedLayoutException e) {
            return e.getMessage();
        }
        Set<String> names = Set.copyOf(files.stream().map(StoredFile::name).toList());
        for (String needed : Stream.concat(meta.layers().stream(), Stream.of(TemplateMeta.MEMORY, TemplateMeta.STATE)).toList()) {
            if (!names.contains(needed)) return "file " + needed + " is missing";
        }
        return null;
    }

    private TemplateMeta snapshot(String name) {
        TemplateMeta t = store.get(Names.template(name)).orElseThrow(() -> HostErrors.notFound("template " + name + " does not exist"));
        if (t.builtIn()) throw new HostException(HostError.BUILT_IN, "template " + name + " is built in: every host makes its own");
        return t;
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
