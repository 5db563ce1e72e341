package dev.wrenn.host.grpc;

import dev.wrenn.host.api.FileSet;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.StoredFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** What the control plane does to copy a file set between two hosts, for tests and benchmarks of the host side. */
final class SetCopy {
    private SetCopy() {}

    /** Sends every file of {@code set} that {@code to} does not hold yet and installs it there; the bytes sent. */
    static long copy(Host from, Host to, FileSet set) {
        List<StoredFile> files = from.files(set);
        long sent = 0;
        for (StoredFile f : files) {
            long have = to.heldBytes(f);
            try (InputStream in = from.openFile(set, f.name(), have)) {
                long now = to.receive(f, have, in);
                if (now != f.size()) throw new IllegalStateException(f.name() + ": " + now + " of " + f.size() + " bytes arrived");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            sent += f.size() - have;
        }
        to.install(set, files);
        return sent;
    }
}
