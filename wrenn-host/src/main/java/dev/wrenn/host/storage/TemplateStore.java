package dev.wrenn.host.storage;

import dev.wrenn.host.vmm.VmmDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The templates of one data dir, each a directory of frozen files. A template is assembled in a
 * staging directory and renamed into place only when complete, so a crash never leaves half a
 * template behind.
 */
public final class TemplateStore {
    private final Path templates;
    private final Path staging;

    /** {@code vmm} ends the VMs a crash left running in the staging area. */
    public TemplateStore(Path dataDir, VmmDriver vmm) throws IOException {
        this.templates = Files.createDirectories(dataDir.resolve("templates"));
        this.staging = dataDir.resolve("tmp");
        if (Files.isDirectory(staging)) {
            // a template build or conversion cut off by a crash may have left its VM running
            try (Stream<Path> dirs = Files.list(staging)) {
                dirs.forEach(vmm::killAllIn);
            }
        }
        FileOps.deleteTree(staging);
        Files.createDirectories(staging);
    }

    public Path dir(String name) {
        return templates.resolve(Names.templateDir(name));
    }

    public Optional<TemplateMeta> get(String name) {
        Path file = dir(name).resolve(TemplateMeta.FILE);
        return Files.exists(file) ? Optional.of(FileOps.readJson(file, TemplateMeta.class)) : Optional.empty();
    }

    /** Every template, newest first (size variants of built-in templates included). */
    public List<TemplateMeta> list() {
        List<TemplateMeta> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(templates)) {
            dirs.map(d -> d.resolve(TemplateMeta.FILE)).filter(Files::exists)
                    .forEach(f -> out.add(FileOps.readJson(f, TemplateMeta.class)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparing(TemplateMeta::createdAt).reversed());
        return out;
    }

    public Path newStagingDir() throws IOException {
        return Files.createDirectories(staging.resolve(UUID.randomUUID().toString()));
    }

    /** Makes a staged template visible under its name, replacing an existing one. */
    public TemplateMeta commit(Path stagingDir, TemplateMeta meta) throws IOException {
        long size = FileOps.allocatedBytes(stagingDir);
        TemplateMeta sized = new TemplateMeta(meta.name(), meta.type(), meta.builtIn(), meta.vcpus(), meta.memoryMb(),
                meta.layers(), meta.createdAt(), meta.sourceCapsuleId(), meta.imageHash(), size, meta.layout(), meta.frozen());
        FileOps.writeJsonAtomically(stagingDir.resolve(TemplateMeta.FILE), sized);
        place(stagingDir, meta.name());
        return sized;
    }

    /**
     * Makes a staged template visible under {@code name} as it is, replacing an existing one: a copy
     * from another host, whose files (its {@value TemplateMeta#FILE} included) must stay byte for byte
     * what their digests say.
     */
    public void place(Path stagingDir, String name) throws IOException {
        Path target = dir(name);
        if (Files.exists(target)) {
            Path old = staging.resolve("replaced-" + UUID.randomUUID());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            FileOps.deleteTree(old);
        }
        Files.move(stagingDir, target, StandardCopyOption.ATOMIC_MOVE);
        FileOps.fsyncDir(templates);
    }

    /** Removes a template; capsules made from it keep their own links to its files. */
    public boolean delete(String name) throws IOException {
        Path target = dir(name);
        if (!Files.exists(target)) return false;
        Path old = staging.resolve("deleted-" + UUID.randomUUID());
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        FileOps.deleteTree(old);
        return true;
    }
}
