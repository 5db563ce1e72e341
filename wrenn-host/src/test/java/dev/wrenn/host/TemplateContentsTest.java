package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * What an agent's first commands need is in the built-in templates (README: what each holds):
 * a shell, git, an HTTP client with CA certificates, ps and ip; base-python adds a Python with
 * pip and venv. The home directory is /root.
 */
class TemplateContentsTest {
    private static final String TOOLS = "bash --version | head -1; git --version; curl --version | head -1; ps --version;"
            + " ip -V; ls /etc/ssl/certs/ca-certificates.crt; echo home=$HOME; pwd";

    @Test
    void minimalHasAShellGitCurlCertificatesPsAndIp() {
        String out = onFresh("minimal", TOOLS);
        assertTools(out);
    }

    @Test
    void basePythonAddsPythonPipAndVenv() {
        TestHost.agent().ensureBuiltIn(BuiltInTemplate.BASE_PYTHON);
        // ensurepip takes minutes under TCG: the venv is made without it, ensurepip is checked to be there
        String out = onFresh("base-python", TOOLS + "; pip --version; python3 -m venv --without-pip /tmp/venv"
                + " && /tmp/venv/bin/python -c 'import sys, ensurepip; print(sys.prefix)'");
        assertTools(out);
        assertTrue(out.contains("pip ") && out.contains("\n/tmp/venv\n"), "pip or venv is missing:\n" + out);
    }

    private static void assertTools(String out) {
        for (String tool : new String[] {"GNU bash", "git version", "curl ", "procps", "iproute2", "ca-certificates.crt"}) {
            assertTrue(out.contains(tool), tool + " is missing:\n" + out);
        }
        assertTrue(out.contains("home=/root\n/root"), "home is not /root:\n" + out);
    }

    private static String onFresh(String template, String line) {
        String id = TestHost.create(template);
        try {
            var r = TestHost.sh(id, line);
            assertEquals(0, r.exitCode(), r.stdoutText() + r.stderrText());
            return r.stdoutText();
        } finally {
            TestHost.agent().destroy(id);
        }
    }
}
