package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.vmm.QemuDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Saved states record the VMM device layout that made them, and are restored only with it: an
 * unknown layout is refused naming it (the capsule stays paused, nothing lost), a capsule of an
 * older layout (or from before layouts were recorded) resumes with it, and a built-in template of
 * another layout is rebuilt.
 */
class DeviceLayoutTest {
    @Test
    void aPausedCapsuleOfAnUnknownLayoutIsRefusedNamingItAndStaysResumable() throws Exception {
        HostAgent host = TestHost.agent();
        String id = TestHost.create("minimal");
        try {
            TestHost.out(id, "echo kept > /root/layout.txt");
            host.pause(id);
            Path record = host.capsuleDir(id).resolve("capsule.json");
            String original = TestHost.setField(record, "layout", "qemu-microvm-99");
            host = TestHost.restart();
            HostAgent restarted = host;
            HostException refused = assertThrows(HostException.class, () -> restarted.resume(id));
            assertEquals(HostError.INVALID_STATE, refused.error());
            assertTrue(refused.getMessage().contains("qemu-microvm-99"), refused.getMessage());
            assertEquals(Phase.PAUSED, host.capsule(id).orElseThrow().phase(), "a refused resume must leave it paused");

            TestHost.setField(record, "layout", original);
            host = TestHost.restart();
            host.resume(id);
            assertEquals("kept", TestHost.out(id, "cat /root/layout.txt"));
        } finally {
            TestHost.agent().destroy(id);
        }
    }

    /**
     * The upgrade this layout change is: a capsule paused by a host whose VMs had no network card
     * (layout 1, in a record from before layouts were kept) resumes on this host with its own
     * layout, files and processes intact and without a network; this host's new capsules have one.
     */
    @Test
    void aCapsulePausedOnAnOlderLayoutResumesWithItAndNewCapsulesGetTheNewOne() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-layout-");
        String id = TestHost.newId();
        try {
            try (HostAgent older = HostAgent.start(TestHost.config(dir).withWarmPool(0), QemuDriver.LAYOUT_1)) {
                older.ensureBuiltIn(BuiltInTemplate.MINIMAL);
                older.create(id, "minimal", null, null);
                older.guest(id).run(ExecRequest.shell("echo kept > /root/old.txt; sleep 3600 >/dev/null 2>&1 & echo $! > /root/pid")
                        .timeout(Duration.ofSeconds(30)).build());
                older.pause(id);
                Path record = older.capsuleDir(id).resolve("capsule.json");
                assertEquals(QemuDriver.LAYOUT_1.id(), TestHost.setField(record, "layout", null));
            }
            try (HostAgent host = HostAgent.start(TestHost.config(dir).withWarmPool(0))) {
                host.resume(id);
                assertEquals("kept", run(host, id, "cat /root/old.txt"));
                assertEquals("alive", run(host, id, "kill -0 $(cat /root/pid) && echo alive"));
                assertEquals("none", run(host, id, "test -e /sys/class/net/eth0 && echo eth0 || echo none"));
                HostException noNetwork = assertThrows(HostException.class, () -> host.portAddress(id, 8000));
                assertEquals(HostError.INVALID_STATE, noNetwork.error());
                assertTrue(noNetwork.getMessage().contains(QemuDriver.LAYOUT_1.id()), noNetwork.getMessage());

                host.ensureBuiltIn(BuiltInTemplate.MINIMAL);   // rebuilt: the template was layout 1
                String fresh = TestHost.newId();
                host.create(fresh, "minimal", null, null);
                assertEquals("eth0", run(host, fresh, "test -e /sys/class/net/eth0 && echo eth0 || echo none"));
                host.destroy(fresh);
                host.destroy(id);
            }
        } finally {
            FileOps.deleteTree(dir);
        }
    }

    private static String run(HostAgent host, String id, String line) {
        return host.guest(id).run(ExecRequest.shell(line).timeout(Duration.ofSeconds(30)).build()).stdoutText().strip();
    }

    @Test
    void aBuiltInTemplateOfAnotherLayoutIsRebuilt() throws Exception {
        HostAgent host = TestHost.agent();
        Path record = TestHost.templateRecord(host, "minimal");
        String current = TestHost.JSON.readTree(record.toFile()).path("layout").asText();
        TestHost.setField(record, "layout", "qemu-microvm-0");
        host.ensureBuiltIn(BuiltInTemplate.MINIMAL);
        // replaced by a build of the current layout: booted here, or the same build from the template cache
        assertEquals(current, TestHost.JSON.readTree(record.toFile()).path("layout").asText(), "the template was not rebuilt");
        String id = TestHost.create("minimal");
        try {
            assertEquals("ok", TestHost.out(id, "echo ok"));
        } finally {
            host.destroy(id);
        }
    }

}
