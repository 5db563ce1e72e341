package dev.wrenn.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The id of the host agent of a data dir, made once and kept in {@code DIR/host-id}. Capsule
 * records name their host, so that control planes sharing one database each act only on their own.
 */
public final class HostIdentity {
    private static final String FILE = "host-id";

    private HostIdentity() {}

    public static String of(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (!Ids.HOST.matches(id)) throw new IOException(file + " does not hold a host id: '" + id + "'");
            return id;
        }
        String id = Ids.HOST.next();
        Path tmp = dataDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, id + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return id;
    }
}
