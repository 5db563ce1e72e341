package dev.wrenn.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.CapsuleState;
import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.TemplateMeta;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One host agent shared by the VM test classes of a JVM, over one data dir, so the built-in
 * templates are booted once per run. Real QEMU, real images, real guest agent.
 */
final class TestHost {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static Path dataDir;
    private static HostAgent agent;

    private TestHost() {}

    static synchronized HostAgent agent() {
        if (agent == null) {
            try {
                dataDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-test-");
                agent = HostAgent.start(config());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            agent.ensureBuiltIn(BuiltInTemplate.MINIMAL);
            Runtime.getRuntime().addShutdownHook(new Thread(TestHost::cleanUp));
        }
        return agent;
    }

    /** Simulates a host agent restart: the old one lets go of its VMs, a new one takes them over. */
    static synchronized HostAgent restart() throws IOException {
        agent().close();
        agent = HostAgent.start(config());
        return agent;
    }

    static HostConfig config() {
        return config(dataDir);
    }

    /** The test settings over another data dir (a host agent of its own). */
    static HostConfig config(Path dir) {
        Path repo = Path.of(System.getProperty("wrenn.repo", "..")).toAbsolutePath().normalize();
        return HostConfig.defaults(dir, repo);
    }

    static String newId() {
        String alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        StringBuilder sb = new StringBuilder("cl-");
        for (int i = 0; i < 25; i++) sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return sb.toString();
    }

    static String create(String template) {
        String id = newId();
        agent().create(id, template, null, null);
        return id;
    }

    static ExecResult sh(String id, String line) {
        Guest g = agent().guest(id);
        return g.run(ExecRequest.shell(line).timeout(Duration.ofSeconds(30)).build());
    }

    /** The record of a template in {@code host}'s data directory. */
    static Path templateRecord(HostAgent host, String name) {
        return host.capsuleDir(newId()).getParent().getParent().resolve("templates").resolve(name).resolve(TemplateMeta.FILE);
    }

    /** Sets (or with null removes) one field of a JSON record, as an earlier version would have written it; returns the old value. */
    static String setField(Path file, String field, String value) throws IOException {
        ObjectNode o = (ObjectNode) JSON.readTree(file.toFile());
        String old = o.path(field).asText(null);
        if (value == null) o.remove(field);
        else o.put(field, value);
        FileOps.writeJsonAtomically(file, o);
        return old;
    }

    /** Runs a shell line that must succeed and returns its trimmed stdout. */
    static String out(String id, String line) {
        ExecResult r = sh(id, line);
        if (r.exitCode() != 0) {
            throw new AssertionError("'" + line + "' exited " + r.exitCode() + ": " + r.stderrText());
        }
        return r.stdoutText().strip();
    }

    /**
     * Waits (up to 60 s) until the warm pool of `minimal` holds what it aims for (at least one
     * clone): its refill would compete for the CPU with what is measured next.
     */
    static void awaitWarmClone(HostAgent host) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (host.warmClones("minimal") < Math.max(1, host.warmTarget("minimal")) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void cleanUp() {
        // WRENN_KEEP_TEST_DATA=1 keeps the data dir (templates, capsule logs) for a post-mortem
        if (agent == null || System.getenv("WRENN_KEEP_TEST_DATA") != null) return;
        List<CapsuleState> left = new ArrayList<>(agent.capsules());
        for (CapsuleState c : left) {
            try {
                agent.destroy(c.id());
            } catch (RuntimeException ignored) {
                // best effort at JVM exit
            }
        }
        agent.close();
        dev.wrenn.host.storage.FileOps.deleteTree(dataDir);
    }
}
