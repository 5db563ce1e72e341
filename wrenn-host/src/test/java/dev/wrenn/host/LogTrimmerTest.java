package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogTrimmerTest {
    @Test
    void consoleLogOverTheLimitIsTruncatedAndSmallLogsAreLeftAlone(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("console.log"), new byte[(int) LogTrimmer.MAX_BYTES + 10]);
        Files.writeString(dir.resolve("vmm.log"), "qemu said something\n");
        LogTrimmer.trim(dir);
        assertEquals(0, Files.size(dir.resolve("console.log")));
        assertTrue(Files.readString(dir.resolve("vmm.log")).contains("qemu said"));
    }
}
