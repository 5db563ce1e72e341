package dev.wrenn.host;

import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.TemplateMeta;
import dev.wrenn.host.storage.TemplateStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Built-in templates as they were built, outside any data dir and shared by all of them as guest
 * images are: a fresh data dir links in the build of its {@link BuildInputs} instead of booting the
 * image again. An entry is a directory {@code TEMPLATE-DIGEST} holding the template's frozen files
 * (hard links to the data dir's, so it costs no disk while that lives) and, last, {@value #ENTRY}.
 * Entries appear whole by a rename and go by a rename, so another host agent or a crash never
 * shows half of one; what is found damaged anyway is dropped and built again.
 */
final class TemplateCache {
    private static final Logger log = LoggerFactory.getLogger(TemplateCache.class);
    /** The inputs an entry was built from and the size of each of its files. */
    static final String ENTRY = "entry.json";
    /** Entries being written or deleted. */
    private static final String TEMP = ".tmp-";
    /** Other sizes, layouts and network settings are kept up to this many entries, the least recently used going first. */
    private static final int MAX_ENTRIES = 12;
    /** A temporary directory this old was left by a process that died while writing it. */
    private static final Duration ABANDONED = Duration.ofHours(1);

    record Entry(BuildInputs inputs, Map<String, Long> sizes) {}

    private final Path root;
    private final TemplateStore store;

    TemplateCache(Path root, TemplateStore store) {
        this.root = root;
        this.store = store;
    }

    /** Puts the build of {@code inputs} into the store as its template, when the cache holds it whole. */
    Optional<TemplateMeta> restore(BuildInputs inputs) {
        Path entry = entryDir(inputs);
        if (!Files.isDirectory(entry)) return Optional.empty();
        long t0 = System.nanoTime();
        Path staging = null;
        try {
            Entry e = FileOps.readJson(entry.resolve(ENTRY), Entry.class);
            if (!inputs.equals(e.inputs())) throw new IOException("it was built from " + e.inputs());
            TemplateMeta meta = FileOps.readJson(entry.resolve(TemplateMeta.FILE), TemplateMeta.class);
            if (!meta.name().equals(inputs.template()) || !inputs.imageHash().equals(meta.imageHash())
                    || !inputs.layout().equals(meta.layout())) {
                throw new IOException("its " + TemplateMeta.FILE + " is of another template: " + meta);
            }
            staging = store.newStagingDir();
            List<String> files = new ArrayList<>(meta.files());
            files.add(TemplateMeta.FILE);
            for (String f : files) {
                Path source = entry.resolve(f);
                long size = Files.size(source);
                if (!e.sizes().containsKey(f) || e.sizes().get(f) != size) {
                    throw new IOException(f + " has " + size + " bytes, not " + e.sizes().get(f));
                }
                FileOps.linkOrCopy(source, staging.resolve(f));
            }
            FileOps.fsyncDir(staging);
            store.place(staging, meta.name());
            markUsed(entry);
            log.atInfo().addKeyValue("template", meta.name()).addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000)
                    .addKeyValue("entry", entry).log("template restored from cache");
            return Optional.of(meta);
        } catch (IOException | RuntimeException e) {
            log.atWarn().addKeyValue("template", inputs.template()).addKeyValue("entry", entry)
                    .log("template cache entry is unusable, building instead: {}", e.toString());
            if (staging != null) FileOps.deleteTree(staging);
            discard(entry);
            return Optional.empty();
        }
    }

    /**
     * Keeps the template just built from {@code inputs}, then drops entries of its image that no
     * host agent of this machine makes again. A failure here costs a later build, not this one.
     */
    void publish(BuildInputs inputs, TemplateMeta meta) {
        Path temp = null;
        try {
            Files.createDirectories(root);
            temp = Files.createDirectory(root.resolve(TEMP + UUID.randomUUID()));
            Path dir = store.dir(meta.name());
            Map<String, Long> sizes = new TreeMap<>();
            List<String> files = new ArrayList<>(meta.files());
            files.add(TemplateMeta.FILE);
            for (String f : files) {
                FileOps.linkOrCopy(dir.resolve(f), temp.resolve(f));
                sizes.put(f, Files.size(temp.resolve(f)));
            }
            FileOps.writeJsonAtomically(temp.resolve(ENTRY), new Entry(inputs, sizes));
            Path entry = entryDir(inputs);
            try {
                Files.move(temp, entry, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                log.atInfo().addKeyValue("template", meta.name()).log("another host agent kept the same build in the cache first");
                return;
            }
            temp = null;
            FileOps.fsyncDir(root);
            log.atInfo().addKeyValue("template", meta.name()).addKeyValue("entry", entry).log("template kept in cache");
            prune(inputs);
        } catch (IOException | UncheckedIOException e) {
            log.atWarn().addKeyValue("template", meta.name()).addKeyValue("cache", root)
                    .log("could not keep the template in the cache: {}", e.toString());
        } finally {
            if (temp != null) FileOps.deleteTree(temp);
        }
    }

    /**
     * Drops entries of {@code current}'s image built from an older image or by an older VMM (nothing
     * makes them again), unreadable ones, what died half-written, and the least recently used
     * beyond {@link #MAX_ENTRIES}. Directories that are not entries are left alone.
     */
    private void prune(BuildInputs current) {
        List<Path> kept = new ArrayList<>();
        try (Stream<Path> list = Files.list(root)) {
            for (Path dir : list.toList()) {
                if (dir.getFileName().toString().startsWith(TEMP)) {
                    if (lastUsed(dir).toInstant().isBefore(Instant.now().minus(ABANDONED))) FileOps.deleteTree(dir);
                } else if (Files.exists(dir.resolve(ENTRY))) {
                    if (stale(dir, current)) discard(dir);
                    else kept.add(dir);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            log.atWarn().addKeyValue("cache", root).log("could not prune the template cache: {}", e.toString());
        }
        kept.sort(Comparator.comparing(TemplateCache::lastUsed).reversed());
        kept.stream().skip(MAX_ENTRIES).forEach(this::discard);
    }

    private static boolean stale(Path dir, BuildInputs current) {
        try {
            BuildInputs other = FileOps.readJson(dir.resolve(ENTRY), Entry.class).inputs();
            return other == null || current.image().equals(other.image())
                    && (!current.imageHash().equals(other.imageHash()) || !current.vmm().equals(other.vmm()));
        } catch (UncheckedIOException e) {
            return true;
        }
    }

    /** Entries used last are pruned last; a cache others may only read is used all the same. */
    private static void markUsed(Path entry) {
        try {
            Files.setLastModifiedTime(entry, FileTime.from(Instant.now()));
        } catch (IOException e) {
            log.atDebug().addKeyValue("entry", entry).log("could not mark the entry used: {}", e.toString());
        }
    }

    private static FileTime lastUsed(Path dir) {
        try {
            return Files.getLastModifiedTime(dir);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    /** Takes an entry out of sight at once, then deletes it; capsules and templates keep their links to its files. */
    private void discard(Path entry) {
        Path gone = root.resolve(TEMP + "gone-" + UUID.randomUUID());
        try {
            Files.move(entry, gone, StandardCopyOption.ATOMIC_MOVE);
            FileOps.deleteTree(gone);
        } catch (NoSuchFileException e) {
            // another host agent took it away first
        } catch (IOException | UncheckedIOException e) {
            log.atWarn().addKeyValue("entry", entry).log("could not remove template cache entry: {}", e.toString());
        }
    }

    private Path entryDir(BuildInputs inputs) {
        return root.resolve(inputs.template() + "-" + inputs.digest());
    }
}
