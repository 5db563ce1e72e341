package dev.wrenn.host.image;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds built guest images in the image cache ({@code CACHE/NAME} links to the current
 * {@code NAME-HASH} directory) and builds a missing one with the checkout's build script.
 */
public final class GuestImages {
    private static final Logger log = LoggerFactory.getLogger(GuestImages.class);

    private final Path cache;
    private final Path repoDir;

    public GuestImages(Path cache, Path repoDir) {
        this.cache = cache;
        this.repoDir = repoDir;
    }

    public Optional<GuestImage> find(String name) {
        Path link = cache.resolve(name);
        if (!Files.isDirectory(link) || !Files.exists(link.resolve("BUILD_OK"))) return Optional.empty();
        try {
            Path dir = link.toRealPath();
            Properties props = new Properties();
            try (var in = Files.newInputStream(dir.resolve("image.properties"))) {
                props.load(in);
            }
            return Optional.of(new GuestImage(name, props.getProperty("hash", dir.getFileName().toString()), dir));
        } catch (IOException e) {
            throw new UncheckedIOException("guest image " + name + " in " + link + " is unreadable", e);
        }
    }

    /** The image, built first when the cache lacks it (or its inputs changed) and a checkout is known. */
    public GuestImage require(String name) {
        if (repoDir != null) build(name);
        return find(name).orElseThrow(() -> new IllegalStateException("guest image '" + name + "' is not built in "
                + cache + "; run guest/images/build.sh " + name));
    }

    private void build(String name) {
        Path script = repoDir.resolve("guest/images/build.sh");
        if (!Files.isExecutable(script)) throw new IllegalStateException("no image build script at " + script);
        try {
            ProcessBuilder pb = new ProcessBuilder(script.toString(), name).redirectErrorStream(true);
            pb.environment().put("WRENN_IMAGE_CACHE", cache.toString());
            Process p = pb.start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    log.atInfo().addKeyValue("image", name).log("{}", line);
                }
            }
            if (p.waitFor() != 0) throw new IllegalStateException("building guest image " + name + " failed (exit "
                    + p.exitValue() + "); see the log above");
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building image " + name);
        }
    }
}
