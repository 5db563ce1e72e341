package dev.wrenn.server.capsule;

import dev.wrenn.host.api.FileSet;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.StoredFile;
import dev.wrenn.server.hosts.Hosts;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a snapshot template or a paused capsule between hosts: the control plane relays the files
 * from one host to the other, file by file; the receiving host keeps them by their digest (SHA-256
 * over their blocks), checks each, and skips what it holds already (a file shared with another
 * template, what a transfer that broke off got, which goes on from there).
 */
public final class FileCopier {
    private static final Logger log = LoggerFactory.getLogger(FileCopier.class);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);
    /** A file whose transfer breaks off goes on from where it stopped, this many times. */
    private static final int ATTEMPTS = 3;

    private final Hosts hosts;

    public FileCopier(Hosts hosts) {
        this.hosts = hosts;
    }

    /** Copies {@code set} from one host to another and installs it there; progress in the log. */
    public void copy(FileSet set, String sourceId, String targetId) {
        Host from = hosts.of(sourceId);
        Host to = hosts.of(targetId);
        long t0 = System.nanoTime();
        List<StoredFile> files = from.files(set);
        Progress progress = new Progress(set, targetId, files.stream().mapToLong(StoredFile::size).sum());
        log.atInfo().addKeyValue("set", set.toString()).addKeyValue("from", sourceId).addKeyValue("to", targetId)
                .addKeyValue("files", files.size()).addKeyValue("mib", progress.total >> 20).log("copying between hosts");
        long cached = 0;
        for (StoredFile f : files) {
            long held = to.heldBytes(f);
            cached += held;
            progress.add(held);
            for (int attempt = 1; held < f.size(); attempt++) {
                try (InputStream in = from.openFile(set, f.name(), held)) {
                    held = to.receive(f, held, new Counted(in, progress));
                } catch (IOException | HostException e) {
                    if (attempt >= ATTEMPTS) {
                        throw e instanceof HostException h ? h : new HostException(HostError.HOST_FAILURE, "copying " + f.name()
                                + " of " + set + " to host " + targetId + " failed: " + e.getMessage(), e);
                    }
                    log.atWarn().addKeyValue("set", set.toString()).addKeyValue("file", f.name()).addKeyValue("attempt", attempt)
                            .log("file transfer broke off, going on from what arrived: {}", e.getMessage());
                    held = to.heldBytes(f);
                }
            }
        }
        to.install(set, files);
        log.atInfo().addKeyValue("set", set.toString()).addKeyValue("from", sourceId).addKeyValue("to", targetId)
                .addKeyValue("mib_sent", (progress.done - cached) >> 20).addKeyValue("mib_held_before", cached >> 20)
                .addKeyValue("ms", (System.nanoTime() - t0) / 1_000_000).log("copied between hosts");
    }

    /** Logs how far a copy has come, every few seconds. */
    private static final class Progress {
        private final FileSet set;
        private final String target;
        private final long total;
        private long done;
        private long lastLog = System.nanoTime();

        Progress(FileSet set, String target, long total) {
            this.set = set;
            this.target = target;
            this.total = total;
        }

        void add(long bytes) {
            done += bytes;
            long now = System.nanoTime();
            if (now - lastLog >= PROGRESS_EVERY.toNanos()) {
                lastLog = now;
                log.atInfo().addKeyValue("set", set.toString()).addKeyValue("to", target).addKeyValue("mib", done >> 20)
                        .addKeyValue("of_mib", total >> 20).log("copying between hosts: {}%", total == 0 ? 100 : done * 100 / total);
            }
        }
    }

    /** A file on its way, counted into the copy's progress. */
    private static final class Counted extends FilterInputStream {
        private final Progress progress;

        Counted(InputStream in, Progress progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) progress.add(n);
            return n;
        }
    }
}
