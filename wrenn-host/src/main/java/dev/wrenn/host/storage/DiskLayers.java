package dev.wrenn.host.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * A capsule's disk is a chain of qcow2 layers: frozen, read-only layers shared with templates and
 * one writable top. Each layer has a unique file name and refers to its backing layer by that
 * relative name, so the same files can be hard-linked into any directory (a template's, each
 * capsule's) and a chain resolves wherever it is linked. Deleting one directory never breaks another.
 */
public final class DiskLayers {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String qemuImg;

    public DiskLayers(String qemuImg) {
        this.qemuImg = qemuImg;
    }

    public static String newLayerName() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return "layer-" + HexFormat.of().formatHex(b) + ".qcow2";
    }

    /** Creates {@code name} in {@code dir} as a new empty overlay on top of {@code backing}. */
    public void createOverlay(Path dir, String backing, String name) throws IOException {
        Commands.run(dir, qemuImg, "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", backing, name);
    }

    /** Creates {@code name} in {@code dir} as a throwaway overlay on a raw image that must never be written. */
    public void createOverlayOnRaw(Path dir, Path rawBacking, String name) throws IOException {
        Commands.run(dir, qemuImg, "create", "-q", "-f", "qcow2", "-F", "raw", "-b", rawBacking.toString(), name);
    }

    /** Makes a compact qcow2 base layer from a raw file-system image. */
    public void convertBase(Path raw, Path target) throws IOException {
        Commands.run(target.getParent(), qemuImg, "convert", "-q", "-f", "raw", "-O", "qcow2", raw.toString(),
                target.getFileName().toString());
    }

    /** Hard-links every layer of a chain (and any other frozen files) from one directory into another. */
    public static void link(Path from, List<String> files, Path to) throws IOException {
        for (String f : files) FileOps.linkOrCopy(from.resolve(f), to.resolve(f));
    }

    public static void freeze(Path dir, List<String> files) throws IOException {
        for (String f : files) {
            Path p = dir.resolve(f);
            if (Files.exists(p)) p.toFile().setWritable(false, false);
        }
    }
}
