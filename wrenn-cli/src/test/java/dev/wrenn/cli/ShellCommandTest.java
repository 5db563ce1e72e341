package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.sdk.CapsuleInfo;
import dev.wrenn.sdk.CreateCapsuleParams;
import dev.wrenn.sdk.WrennClient;
import dev.wrenn.server.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wrenn capsules shell} as a person uses it: the command line runs in its own JVM inside tmux (a
 * real terminal), against a real server with a real capsule; keys are typed and the screen is read.
 */
class ShellCommandTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static WrennClient client;
    private static String key;
    private static String baseUrl;
    private static String id;

    @BeforeAll
    static void capsule() {
        TestServer.awaitTemplates();
        key = TestServer.newTeam().key();
        baseUrl = TestServer.baseUrl() + "/api";
        client = WrennClient.builder().apiKey(key).baseUrl(baseUrl).build();
        CapsuleInfo c = client.capsules().create(CreateCapsuleParams.defaults(), true);
        id = c.id();
    }

    @AfterAll
    static void destroy() {
        client.capsules().destroy(id);
        client.close();
    }

    @Test
    void aShellRunsWhatIsTypedFollowsResizesAndExitsWithTheRemoteStatus(@TempDir Path dir) throws IOException {
        try (Tmux tmux = Tmux.start(script(dir, "capsules shell " + id), 100, 30)) {
            tmux.await("root@", WAIT);
            tmux.typeLine("echo hi-$((40+2))");
            tmux.await("hi-42", WAIT);

            String before = tmux.paneSize();
            tmux.typeLine("clear; stty size");
            tmux.await(before, WAIT);

            tmux.resize(120, 40);
            String after = tmux.paneSize();
            assertTrue(after.endsWith(" 120"), after);
            tmux.typeLine("clear; stty size; echo cols=$(tput cols)");
            tmux.await(after, WAIT);
            tmux.await("cols=120", WAIT);

            tmux.typeLine("exit 3");
            String end = tmux.await("wrenn exited with", WAIT);
            assertTrue(end.contains("wrenn exited with 3"), end);
            assertTrue(end.contains("terminal restored"), "raw mode was left on:\n" + end);
        }
    }

    @Test
    void ctrlDEndsTheShellAndAnotherProgramCanBeRun(@TempDir Path dir) throws IOException {
        try (Tmux tmux = Tmux.start(script(dir, "capsules shell --cmd /bin/sh " + id), 80, 24)) {
            tmux.await("#", WAIT); // sh's prompt (capture-pane drops the space after it)
            tmux.typeLine("echo $0-$((6*7))");
            tmux.await("/bin/sh-42", WAIT);
            tmux.press("C-d");
            String end = tmux.await("wrenn exited with", WAIT);
            assertTrue(end.contains("wrenn exited with 0"), end);
        }
    }

    /**
     * A script that runs {@code wrenn ARGS} with this test JVM's classpath and then reports its exit
     * status and whether it left the terminal as it found it (the pane stays open to be read).
     */
    private static Path script(Path dir, String args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path script = dir.resolve("run.sh");
        Files.writeString(script, """
                export WRENN_API_KEY='%s' WRENN_BASE_URL='%s'
                before=$(stty -g)
                '%s' --enable-native-access=ALL-UNNAMED -cp '%s' dev.wrenn.cli.Main %s
                status=$?
                [ "$(stty -g)" = "$before" ] && echo "terminal restored"
                echo "wrenn exited with $status"
                sleep 600
                """.formatted(key, baseUrl, java, System.getProperty("java.class.path"), args));
        return script;
    }
}
