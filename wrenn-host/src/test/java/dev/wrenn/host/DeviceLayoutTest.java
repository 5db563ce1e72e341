package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.Phase;
import dev.wrenn.host.storage.FileOps;
import dev.wrenn.host.storage.TemplateMeta;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Saved states record the VMM device layout that made them, and are restored only with it: an
 * unknown layout is refused naming it (the capsule stays paused, nothing lost), a record from before
 * layouts were recorded is the first layout, and a built-in template of an older layout is rebuilt.
 */
class DeviceLayoutTest {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    @Test
    void aPausedCapsuleOfAnUnknownLayoutIsRefusedNamingItAndStaysResumable() throws Exception {
        HostAgent host = TestHost.agent();
        String id = TestHost.create("minimal");
        try {
            TestHost.out(id, "echo kept > /root/layout.txt");
            host.pause(id);
            Path record = host.capsuleDir(id).resolve("capsule.json");
            String original = setField(record, "layout", "qemu-microvm-99");
            host = TestHost.restart();
            HostAgent restarted = host;
            HostException refused = assertThrows(HostException.class, () -> restarted.resume(id));
            assertEquals(HostError.INVALID_STATE, refused.error());
            assertTrue(refused.getMessage().contains("qemu-microvm-99"), refused.getMessage());
            assertEquals(Phase.PAUSED, host.capsule(id).orElseThrow().phase(), "a refused resume must leave it paused");

            setField(record, "layout", null);   // a record from before layouts were recorded
            host = TestHost.restart();
            host.resume(id);
            assertEquals("kept", TestHost.out(id, "cat /root/layout.txt"));
            assertEquals(original, JSON.readTree(record.toFile()).path("layout").asText(), "the layout was not filled in");
        } finally {
            TestHost.agent().destroy(id);
        }
    }

    @Test
    void aBuiltInTemplateOfAnotherLayoutIsRebuilt() throws Exception {
        HostAgent host = TestHost.agent();
        Path record = host.capsuleDir(TestHost.newId()).getParent().getParent().resolve("templates/minimal")
                .resolve(TemplateMeta.FILE);
        String current = JSON.readTree(record.toFile()).path("layout").asText();
        String before = JSON.readTree(record.toFile()).path("createdAt").asText();
        setField(record, "layout", "qemu-microvm-0");
        host.ensureBuiltIn(BuiltInTemplate.MINIMAL);
        assertEquals(current, JSON.readTree(record.toFile()).path("layout").asText());
        assertNotEquals(before, JSON.readTree(record.toFile()).path("createdAt").asText(), "the template was not rebuilt");
        String id = TestHost.create("minimal");
        try {
            assertEquals("ok", TestHost.out(id, "echo ok"));
        } finally {
            host.destroy(id);
        }
    }

    /** Sets (or removes, for null) a field of a JSON record; returns its old value. */
    private static String setField(Path file, String field, String value) throws IOException {
        ObjectNode o = (ObjectNode) JSON.readTree(file.toFile());
        String old = o.path(field).asText(null);
        if (value == null) o.remove(field);
        else o.put(field, value);
        FileOps.writeJsonAtomically(file, o);
        return old;
    }
}
