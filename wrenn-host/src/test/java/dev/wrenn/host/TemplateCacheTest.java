package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.TemplateInfo;
import dev.wrenn.host.storage.Commands;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.TemplateMeta;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Built-in templates shared by data dirs through a template cache: a fresh data dir takes the
 * build another one published (the same layers and creation time; no boot) and its capsules run;
 * an entry that is damaged is dropped, the template built again and the cache made whole. Each
 * test has a cache of its own, so it knows what the cache holds and damages nothing others use.
 */
class TemplateCacheTest {
    private static final List<Path> dirs = new ArrayList<>();
    private static Path cache;
    /** {@code minimal} as data dir "a" built it into {@link #cache}, and how long that took. */
    private static TemplateInfo built;
    private static List<String> builtLayers;
    private static long buildMs;

    @BeforeAll
    static void buildIntoAnEmptyCache() throws IOException {
        cache = newDir("wrenn-tcache-");
        try (HostAgent a = host(newDir("wrenn-tcache-a-"), cache)) {
            long t0 = System.nanoTime();
            a.ensureBuiltIn(BuiltInTemplate.MINIMAL);
            buildMs = (System.nanoTime() - t0) / 1_000_000;
            built = a.template("minimal").orElseThrow();
            builtLayers = layers(a);
        }
    }

    @AfterAll
    static void cleanUp() {
        dirs.forEach(FileOps::deleteTree);
    }

    @Test
    void aFreshDataDirTakesTheBuildFromTheCacheAndItsCapsulesRun() throws IOException {
        try (HostAgent b = host(newDir("wrenn-tcache-b-"), cache)) {
            long t0 = System.nanoTime();
            b.ensureBuiltIn(BuiltInTemplate.MINIMAL);
            long cachedMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf(Locale.ROOT, "BENCH template_from_cache_ms %d ms%nBENCH template_build_ms %d ms%n", cachedMs, buildMs);

            assertEquals(built.createdAt(), b.template("minimal").orElseThrow().createdAt(), "minimal was booted again");
            assertEquals(builtLayers, layers(b), "minimal is not the build of the first data dir");
            assertEquals("from the cache", run(b, "echo from the cache"));
        }
    }

    @Test
    void aDamagedEntryIsBuiltAgainAndReplaced() throws IOException {
        Path damaged = newDir("wrenn-tcache-d-");
        Path entry = copyEntries(cache, damaged);
        // what a copy cut off would leave; a new file, not the link shared with the first data dir's template
        Path memory = entry.resolve(TemplateMeta.MEMORY);
        Files.delete(memory);
        Files.write(memory, new byte[4096]);

        TemplateInfo rebuilt;
        try (HostAgent c = host(newDir("wrenn-tcache-c-"), damaged)) {
            c.ensureBuiltIn(BuiltInTemplate.MINIMAL);
            rebuilt = c.template("minimal").orElseThrow();
            assertNotEquals(built.createdAt(), rebuilt.createdAt(), "the damaged entry was used");
            assertEquals("rebuilt", run(c, "echo rebuilt"));
        }
        assertTrue(Files.size(entry.resolve(TemplateMeta.MEMORY)) > 4096, "the damaged entry was not replaced");
        try (HostAgent d = host(newDir("wrenn-tcache-e-"), damaged)) {
            d.ensureBuiltIn(BuiltInTemplate.MINIMAL);
            assertEquals(rebuilt.createdAt(), d.template("minimal").orElseThrow().createdAt(), "the new entry was not used");
        }
    }

    private static HostAgent host(Path dataDir, Path templateCache) throws IOException {
        return HostAgent.start(TestHost.config(dataDir).withWarmPool(0).withTemplateCache(templateCache));
    }

    /** Creates a capsule of minimal, runs a shell line in it, destroys it; the line's output. */
    private static String run(HostAgent host, String line) {
        String id = TestHost.newId();
        host.create(id, "minimal", null, null);
        try {
            return host.guest(id).run(ExecRequest.shell(line).build()).stdoutText().strip();
        } finally {
            host.destroy(id);
        }
    }

    private static List<String> layers(HostAgent host) {
        return FileOps.readJson(TestHost.templateRecord(host, "minimal"), TemplateMeta.class).layers();
    }

    /** Links every entry of one cache into another (cp -al); the copy of minimal's entry. */
    private static Path copyEntries(Path from, Path to) throws IOException {
        FileOps.deleteTree(to);
        Commands.run(null, "cp", "-al", from.toString(), to.toString());
        try (Stream<Path> entries = Files.list(to)) {
            return entries.filter(e -> e.getFileName().toString().startsWith("minimal-")).findFirst().orElseThrow();
        }
    }

    private static Path newDir(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), prefix);
        dirs.add(dir);
        return dir;
    }
}
