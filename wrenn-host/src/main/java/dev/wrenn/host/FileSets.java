package dev.wrenn.host;

import dev.wrenn.host.api.FileSet;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.api.StoredFile;
import dev.wrenn.host.storage.BlockDigest;
import dev.wrenn.host.storage.CapsuleMeta;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.Names;
import dev.wrenn.host.storage.TemplateMeta;
import dev.wrenn.host.storage.TemplateStore;
import dev.wrenn.host.vmm.DeviceLayout;
import dev.wrenn.host.vmm.UnsupportedLayoutException;
import dev.wrenn.host.vmm.VmmDriver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot templates and paused capsules as files another host can copy ({@link FileSet}), and
 * installed here from files received ({@link Blobs}). A template's digests are computed the first
 * time another host asks for it and kept beside it ({@value #DIGESTS}); a paused capsule's are
 * computed each time (its files change whenever it runs). What the VM logged, its sockets and pid
 * file are not part of either.
 */
final class FileSets {
    private static final Logger log = LoggerFactory.getLogger(FileSets.class);
    static final String DIGESTS = "files.digest.json";
    private static final int MAX_KEPT_DIGESTS = 10_000;

    private final TemplateStore templates;
    private final CapsuleRegistry capsules;
    private final Path capsulesDir;
    private final Blobs blobs;
    private final VmmDriver vmm;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    /**
     * Digests of files by inode, size and modification time: a capsule's frozen layers are links to
     * its template's, hashed once for all its moves; a file that was written is hashed again.
     */
    private final Map<String, String> digests = new ConcurrentHashMap<>();

    /** {@code vmm}: this host's, which must be able to restore the device layout an installed set was saved with. */
    FileSets(TemplateStore templates, CapsuleRegistry capsules, Path capsulesDir, Blobs blobs, VmmDriver vmm) {
        this.templates = templates;
        this.capsules = capsules;
        this.capsulesDir = capsulesDir;
        this.blobs = blobs;
        this.vmm = vmm;
    }

    List<StoredFile> files(FileSet set) {
        Path dir = dir(set);
        if (set.kind() == FileSet.Kind.CAPSULE) return list(dir, set);
        synchronized (lock(set)) {
            Path kept = dir.resolve(DIGESTS);
            if (Files.exists(kept)) return List.of(FileOps.readJson(kept, StoredFile[].class));
            List<StoredFile> files = list(dir, set);
            FileOps.writeJsonAtomically(kept, files.toArray(StoredFile[]::new));
            return files;
        }
    }

    InputStream open(FileSet set, String file, long offset) {
        Path dir = dir(set);
        if (files(set).stream().noneMatch(f -> f.name().equals(file))) throw HostErrors.notFound(set + " has no file " + file);
        try {
            SeekableByteChannel ch = Files.newByteChannel(dir.resolve(file));
            if (offset < 0 || offset > ch.size()) {
                ch.close();
                throw HostErrors.invalidArgument("offset " + offset + " is outside " + file + " of " + set);
            }
            ch.position(offset);
            return Channels.newInputStream(ch);
        } catch (IOException e) {
            throw HostErrors.io("could not open " + file + " of " + set, e);
        }
    }

    /**
     * How much of {@code f} this host holds: what {@link Blobs} received, or all of it when one of its
     * templates has a file with that digest (the kernel, a base layer made from the same image),
     * which then counts as received without crossing the wire.
     */
    long held(StoredFile f) {
        long held = blobs.held(f);
        if (held > 0 || f.size() == 0) return held;
        try {
            for (TemplateMeta t : templates.list()) {
                try (Stream<Path> list = Files.list(templates.dir(t.name()))) {
                    for (Path p : list.toList()) {
                        if (Files.isRegularFile(p) && Files.size(p) == f.size() && digest(p).equals(f.digest())) {
                            blobs.adopt(f, p);
                            return f.size();
                        }
                    }
                }
            }
        } catch (IOException e) {
            log.atWarn().addKeyValue("file", f.name()).log("could not look for the file among the templates: {}", e.getMessage());
        }
        return 0;
    }

    /** Installs a template copy or a moved capsule from received files; the same one installed before is kept. */
    void install(FileSet set, List<StoredFile> files) {
        boolean capsule = set.kind() == FileSet.Kind.CAPSULE;
        if (capsule) Names.capsuleId(set.name());
        else Names.template(set.name());
        synchronized (lock(set)) {
            if (installedAlready(set, files)) return;
            try {
                Path staging = templates.newStagingDir();
                try {
                    String metaName = capsule ? CapsuleMeta.FILE : TemplateMeta.FILE;
                    StoredFile metaFile = files.stream().filter(f -> f.name().equals(metaName)).findFirst()
                            .orElseThrow(() -> HostErrors.invalidArgument(set + " cannot be installed: it has no " + metaName));
                    blobs.placeAs(metaFile, staging.resolve(metaName), capsule);
                    if (capsule) installCapsule(set, files, staging);
                    else installTemplate(set, files, staging);
                } finally {
                    FileOps.deleteTree(staging);
                }
            } catch (IOException e) {
                throw HostErrors.io("could not install " + set, e);
            }
            blobs.prune();
            log.atInfo().addKeyValue(capsule ? "capsule" : "template", set.name()).addKeyValue("files", files.size())
                    .log(capsule ? "moved capsule installed, paused" : "template copy installed");
        }
    }

    private void installTemplate(FileSet set, List<StoredFile> files, Path staging) throws IOException {
        TemplateMeta meta = FileOps.readJson(staging.resolve(TemplateMeta.FILE), TemplateMeta.class);
        String problem = !set.name().equals(meta.name()) ? "its " + TemplateMeta.FILE + " names " + meta.name()
                : meta.builtIn() ? "it is a built-in template, which every host makes itself"
                : problem(meta.layout(), files, Stream.concat(meta.layers().stream(), Stream.of(TemplateMeta.MEMORY,
                        TemplateMeta.STATE)).toList());
        if (problem != null) throw HostErrors.invalidArgument(set + " cannot be installed here: " + problem);
        for (StoredFile f : files) {
            if (!f.name().equals(TemplateMeta.FILE)) blobs.placeAs(f, staging.resolve(f.name()), false);
        }
        FileOps.writeJsonAtomically(staging.resolve(DIGESTS), files.toArray(StoredFile[]::new));
        templates.place(staging, set.name());
    }

    /**
     * A paused capsule comes as it was saved: its pause state, its RAM file and its disk chain.
     * The files it writes when it runs again (RAM, its top layer) are copies of its own; the frozen
     * layers below are shared.
     */
    private void installCapsule(FileSet set, List<StoredFile> files, Path staging) throws IOException {
        CapsuleMeta meta = FileOps.readJson(staging.resolve(CapsuleMeta.FILE), CapsuleMeta.class);
        String problem = !set.name().equals(meta.id()) ? "its " + CapsuleMeta.FILE + " names " + meta.id()
                : meta.phase() != Phase.PAUSED ? "it is not paused"
                : problem(meta.layout(), files, Stream.concat(meta.layers().stream(), Stream.of(CapsuleMeta.STATE)).toList());
        if (problem != null) throw HostErrors.invalidArgument(set + " cannot be installed here: " + problem);
        if (capsules.find(set.name()).isPresent()) {
            throw new HostException(HostError.ALREADY_EXISTS, "capsule " + set.name() + " is on this host already");
        }
        Set<String> frozen = Set.copyOf(meta.layers().subList(0, meta.layers().size() - 1));
        for (StoredFile f : files) {
            if (!f.name().equals(CapsuleMeta.FILE)) blobs.placeAs(f, staging.resolve(f.name()), !frozen.contains(f.name()));
        }
        Path dir = capsulesDir.resolve(set.name());
        Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
        FileOps.fsyncDir(capsulesDir);
        capsules.put(new Capsule(set.name(), dir, meta.paused()));
    }

    /** Whether {@code set} is here with exactly these files (installing it again is then a no-op). */
    private boolean installedAlready(FileSet set, List<StoredFile> files) {
        boolean present = set.kind() == FileSet.Kind.CAPSULE ? capsules.find(set.name()).isPresent()
                : templates.get(set.name()).isPresent();
        // a template of that name from before holds other files when it was replaced meanwhile
        return present && Set.copyOf(files(set)).equals(Set.copyOf(files));
    }

    /** Why files saved with {@code layout} and needing {@code needed} cannot run here, or null. */
    private String problem(String layout, List<StoredFile> files, List<String> needed) {
        try {
            vmm.requireSupported(DeviceLayout.parse(layout));
        } catch (UnsupportedLayoutException e) {
            return e.getMessage();
        }
        Set<String> names = Set.copyOf(files.stream().map(StoredFile::name).toList());
        return needed.stream().filter(n -> !names.contains(n)).findFirst().map(n -> "file " + n + " is missing").orElse(null);
    }

    private Path dir(FileSet set) {
        if (set.kind() == FileSet.Kind.TEMPLATE) {
            TemplateMeta t = templates.get(Names.template(set.name()))
                    .orElseThrow(() -> HostErrors.notFound("template " + set.name() + " does not exist"));
            if (t.builtIn()) throw new HostException(HostError.BUILT_IN, set + " is built in: every host makes its own");
            return templates.dir(t.name());
        }
        Capsule c = capsules.get(Names.capsuleId(set.name()));
        if (c.meta() == null || c.meta().phase() != Phase.PAUSED) {
            throw HostErrors.invalidState("capsule " + set.name() + " is not paused; only a paused capsule moves");
        }
        return c.dir;
    }

    /** The regular files of a template or capsule directory with their digests, the VM's logs and pid left out. */
    private List<StoredFile> list(Path dir, FileSet set) {
        List<StoredFile> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path f : list.sorted().toList()) {
                String file = f.getFileName().toString();
                if (!Files.isRegularFile(f) || file.equals(DIGESTS) || file.endsWith(".log") || file.endsWith(".pid")
                        || Files.size(f) == 0) {
                    continue;
                }
                files.add(new StoredFile(file, Files.size(f), digest(f)));
            }
        } catch (IOException e) {
            throw HostErrors.io("could not read the files of " + set, e);
        }
        return files;
    }

    private String digest(Path f) throws IOException {
        String key = Files.getAttribute(f, "unix:dev") + ":" + Files.getAttribute(f, "unix:ino") + ":" + Files.size(f) + ":"
                + Files.getLastModifiedTime(f).toInstant();
        String known = digests.get(key);
        if (known != null) return known;
        String d = BlockDigest.of(f);
        if (digests.size() >= MAX_KEPT_DIGESTS) digests.clear();
        digests.put(key, d);
        return d;
    }

    private Object lock(FileSet set) {
        return locks.computeIfAbsent(set.toString(), k -> new Object());
    }
}
