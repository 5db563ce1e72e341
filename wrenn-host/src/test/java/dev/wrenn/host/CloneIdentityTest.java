package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Clones of one template share its memory, so everything that makes a machine itself must be
 * handed out after the restore: every capsule has its own random numbers, hostname, machine id,
 * MAC and boot id, also clones of a snapshot whose source had read them all. A resume keeps them
 * (the same machine, still in the same boot).
 */
class CloneIdentityTest {
    /** What identifies a machine, one line each; the last line is 32 bytes of /dev/urandom in hex. */
    private static final String IDENTITY = "cat /proc/sys/kernel/random/boot_id /etc/machine-id; hostname;"
            + " cat /sys/class/net/eth0/address; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'";
    private static final List<String> FIELDS = List.of("boot id", "machine id", "hostname", "MAC", "urandom");

    @Test
    void tenClonesCreatedAtOnceAreTenDistinctMachines() {
        List<String> ids = createAtOnce("minimal", 10);
        try {
            assertDistinct(ids.stream().map(CloneIdentityTest::identity).toList());
        } finally {
            ids.forEach(TestHost.agent()::destroy);
        }
    }

    @Test
    void clonesOfASnapshotDifferFromItsSourceAndEachOtherAndAResumeKeepsThem() {
        HostAgent host = TestHost.agent();
        String source = TestHost.create("minimal");
        String template = "identity-" + source.substring(3, 11);
        List<String> clones = List.of();
        try {
            List<String> before = identity(source);   // read: the source's kernel has fixed its boot id now
            host.pause(source);
            host.resume(source);
            List<String> after = identity(source);
            assertEquals(before.subList(0, 4), after.subList(0, 4), "a resume keeps boot id, machine id, hostname and MAC");
            assertNotEquals(before.get(4), after.get(4));

            host.snapshot(source, template, false);
            clones = createAtOnce(template, 3);
            List<List<String>> all = new ArrayList<>();
            all.add(after);
            clones.forEach(c -> all.add(identity(c)));
            assertDistinct(all);
        } finally {
            clones.forEach(host::destroy);
            host.destroy(source);
            host.deleteTemplate(template);
        }
    }

    private static List<String> createAtOnce(String template, int n) {
        List<CompletableFuture<String>> creating = IntStream.range(0, n)
                .mapToObj(i -> CompletableFuture.supplyAsync(() -> TestHost.create(template))).toList();
        return creating.stream().map(CompletableFuture::join).toList();
    }

    private static List<String> identity(String id) {
        List<String> lines = TestHost.out(id, IDENTITY).lines().toList();
        assertEquals(FIELDS.size(), lines.size(), "identity of " + id + ": " + lines);
        return lines;
    }

    /** No two machines share any of the fields (and none is empty). */
    private static void assertDistinct(List<List<String>> machines) {
        for (int f = 0; f < FIELDS.size(); f++) {
            Set<String> seen = new HashSet<>();
            for (List<String> m : machines) {
                String v = m.get(f);
                assertFalse(v.isBlank(), FIELDS.get(f) + " is empty");
                assertEquals(true, seen.add(v), FIELDS.get(f) + " " + v + " is shared: " + machines);
            }
        }
    }
}
