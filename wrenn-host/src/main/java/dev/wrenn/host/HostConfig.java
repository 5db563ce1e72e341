package dev.wrenn.host;

import dev.wrenn.host.net.NetworkConfig;
import dev.wrenn.host.vmm.Accelerator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one host agent.
 *
 * @param dataDir       capsules and templates of this installation
 * @param imageCache    built guest images, shared by installations, checkouts and tests
 * @param templateCache built-in templates as built, shared the same way: a fresh data dir links one in instead of
 *                      booting its image ({@link TemplateCache}); null = every data dir boots its own
 * @param repoDir       the source checkout whose {@code guest/images/build.sh} builds missing images; null = never build
 * @param warmPool      clones of each built-in template kept restored ahead of creates (0 = none)
 * @param network       how capsules are put on the network
 */
public record HostConfig(Path dataDir, Path imageCache, Path templateCache, Path repoDir, String qemuBinary, String qemuImg,
                         Accelerator accelerator, Duration bootTimeout, Duration guestTimeout, int warmPool,
                         NetworkConfig network) {

    /** Unix socket paths are limited to 107 bytes; capsule sockets live under the data dir. */
    private static final int MAX_DATA_DIR_LENGTH = 60;

    public HostConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(network, "network");
        dataDir = dataDir.toAbsolutePath().normalize();
        if (dataDir.toString().length() > MAX_DATA_DIR_LENGTH) {
            throw new IllegalArgumentException("data dir path '" + dataDir + "' is longer than " + MAX_DATA_DIR_LENGTH
                    + " characters; VM sockets under it would exceed the unix socket path limit");
        }
        if (warmPool < 0 || warmPool > 16) throw new IllegalArgumentException("warm pool size " + warmPool + " is not in 0..16");
        if (dataDir.toString().contains("'") || dataDir.toString().contains(" ")) {
            throw new IllegalArgumentException("data dir path '" + dataDir + "' must not contain quotes or spaces");
        }
    }

    /**
     * Defaults: images in {@code $WRENN_IMAGE_CACHE} or {@code ~/.cache/wrenn/images}, built-in
     * templates in {@code $WRENN_TEMPLATE_CACHE} ({@code off}: none) or {@code templates} inside the
     * image cache, accelerator probed, networking as the environment says ({@link NetworkConfig#fromEnvironment()}).
     */
    public static HostConfig defaults(Path dataDir, Path repoDir) {
        String cache = System.getenv("WRENN_IMAGE_CACHE");
        Path imageCache = cache != null && !cache.isBlank() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "wrenn", "images");
        String templates = System.getenv("WRENN_TEMPLATE_CACHE");
        Path templateCache = templates == null || templates.isBlank() ? imageCache.resolve("templates")
                : templates.strip().equalsIgnoreCase("off") ? null : Path.of(templates.strip());
        String pool = System.getenv("WRENN_WARM_POOL");
        return new HostConfig(dataDir, imageCache, templateCache, repoDir, "qemu-system-x86_64", "qemu-img",
                Accelerator.choose(System.getenv("WRENN_ACCEL")), Duration.ofSeconds(60), Duration.ofSeconds(10),
                pool == null || pool.isBlank() ? 1 : Integer.parseInt(pool.trim()), NetworkConfig.fromEnvironment());
    }

    public HostConfig withDataDir(Path dir) {
        return new HostConfig(dir, imageCache, templateCache, repoDir, qemuBinary, qemuImg, accelerator, bootTimeout,
                guestTimeout, warmPool, network);
    }

    public HostConfig withWarmPool(int size) {
        return new HostConfig(dataDir, imageCache, templateCache, repoDir, qemuBinary, qemuImg, accelerator, bootTimeout,
                guestTimeout, size, network);
    }

    public HostConfig withNetwork(NetworkConfig n) {
        return new HostConfig(dataDir, imageCache, templateCache, repoDir, qemuBinary, qemuImg, accelerator, bootTimeout,
                guestTimeout, warmPool, n);
    }

    /** These settings with built-in templates cached in {@code dir} (null: none, each data dir builds its own). */
    public HostConfig withTemplateCache(Path dir) {
        return new HostConfig(dataDir, imageCache, dir, repoDir, qemuBinary, qemuImg, accelerator, bootTimeout, guestTimeout,
                warmPool, network);
    }
}
