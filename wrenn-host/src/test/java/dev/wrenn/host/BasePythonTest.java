package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The second built-in template: Debian with python3 and pip, restored like any other. */
class BasePythonTest {
    @Test
    void basePythonCapsuleRunsPythonAndPipAndSurvivesPauseResume() {
        HostAgent host = TestHost.agent();
        host.ensureBuiltIn(BuiltInTemplate.BASE_PYTHON);
        String id = TestHost.create("base-python");
        try {
            assertEquals("4", TestHost.out(id, "python3 -c 'print(2 + 2)'"));
            assertTrue(TestHost.out(id, "pip --version").startsWith("pip "), "pip is missing");
            TestHost.out(id, "python3 -c \"open('/root/state.txt', 'w').write('kept')\"");
            host.pause(id);
            host.resume(id);
            assertEquals("kept", TestHost.out(id, "cat /root/state.txt"));
            assertEquals(id, TestHost.out(id, "python3 -c 'import socket; print(socket.gethostname())'"));
        } finally {
            host.destroy(id);
        }
    }
}
