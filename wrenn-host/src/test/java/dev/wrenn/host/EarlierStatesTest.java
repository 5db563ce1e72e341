package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * States saved by earlier versions keep working: those versions froze the guest's file systems
 * before saving and thawed them after every restore; this one does neither, so a state whose
 * record does not say it was saved unfrozen gets its THAW, and a built-in template saved frozen is
 * rebuilt unfrozen.
 */
class EarlierStatesTest {

    @Test
    void aCapsulePausedWithFrozenDisksCanWriteToThemAfterItsResume() throws Exception {
        HostAgent host = TestHost.agent();
        String id = TestHost.create("minimal");
        try {
            // what the earlier pause did: the root file system frozen in the saved state
            assertEquals("frozen", TestHost.out(id, "echo kept > /root/kept.txt && sync && fsfreeze --freeze / && echo frozen"));
            host.pause(id);
            TestHost.setField(host.capsuleDir(id).resolve("capsule.json"), "frozen", null);
            host = TestHost.restart();
            host.resume(id);
            // without the THAW this write would block until the exec timed out
            assertEquals("kept written", TestHost.out(id, "echo written > /root/after.txt && echo $(cat /root/kept.txt /root/after.txt)"));
        } finally {
            TestHost.agent().destroy(id);
        }
    }

    @Test
    void aBuiltInTemplateSavedFrozenIsRebuiltUnfrozen() throws Exception {
        HostAgent host = TestHost.agent();
        Path record = TestHost.templateRecord(host, "minimal");
        TestHost.setField(record, "frozen", null);
        host.ensureBuiltIn(BuiltInTemplate.MINIMAL);
        assertEquals("false", TestHost.JSON.readTree(record.toFile()).path("frozen").asText());
        String id = TestHost.create("minimal");
        try {
            assertEquals("written", TestHost.out(id, "echo written > /root/new.txt && cat /root/new.txt"));
        } finally {
            host.destroy(id);
        }
    }
}
