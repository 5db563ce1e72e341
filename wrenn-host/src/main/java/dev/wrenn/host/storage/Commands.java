package dev.wrenn.host.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs the short host tools the host agent relies on (qemu-img, cp, du, ip, nft), bounded in time. */
public final class Commands {
    private static final long TIMEOUT_SECONDS = 60;

    private Commands() {}

    /** Runs {@code cmd} in {@code dir} (null: the current directory); returns its output, or fails with it. */
    public static String run(Path dir, String... cmd) throws IOException {
        return runWithInput(dir, null, cmd);
    }

    /** As {@link #run(Path, String...)}, with {@code input} (null: none) written to the tool's stdin. */
    public static String runWithInput(Path dir, String input, String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (dir != null) pb.directory(dir.toFile());
        if (input == null) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        try {
            if (input != null) {
                try (var stdin = p.getOutputStream()) {
                    stdin.write(input.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", cmd), e);
        }
    }
}
