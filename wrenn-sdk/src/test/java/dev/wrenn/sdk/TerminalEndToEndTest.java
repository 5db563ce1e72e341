package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Terminals ({@code capsule.pty}) against the real server with real capsules. */
class TerminalEndToEndTest extends OneCapsuleTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** A terminal's output as it came, decoded. */
    private static final class Screen implements Consumer<byte[]> {
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

        @Override
        public synchronized void accept(byte[] data) {
            seen.writeBytes(data);
        }

        synchronized String text() {
            return seen.toString(StandardCharsets.UTF_8);
        }

        void await(String text) {
            Recorder.await(WAIT, () -> text().contains(text), "'" + text + "' on the screen (it shows: " + text() + ")");
        }
    }

    @Test
    void bashRunsWhatIsTypedAndSeesItsSizeChange() {
        Screen screen = new Screen();
        try (Terminal t = capsule.pty(PtyOptions.builder().size(100, 30).build(), screen)) {
            assertTrue(t.tag().startsWith("pty-"), t.tag());
            assertTrue(t.pid() > 1);
            t.write("echo hello-$((40+2)); stty size; echo $0\n");
            screen.await("hello-42");
            screen.await("30 100");
            screen.await("bash");
            t.resize(160, 50);
            t.write("stty size\n");
            screen.await("50 160");
            t.write("exit 3\n");
            assertEquals(3, t.waitFor(WAIT));
            assertThrows(IllegalStateException.class, t::output, "the output went to the callback");
        }
    }

    @Test
    void theOutputCanBeReadAsAStreamThatEndsWithTheProgram() throws Exception {
        try (Terminal t = capsule.pty(PtyOptions.builder().cmd("/bin/sh").env("GREETING", "from-env").build())) {
            t.write("echo \"$GREETING\"; exit 5\n");
            String all = new String(readAll(t.output()), StandardCharsets.UTF_8);
            assertTrue(all.contains("from-env"), all);
            assertEquals(5, t.waitFor(WAIT));
        }
    }

    @Test
    void aReaderThatStopsReadingStallsTheTerminalWithinABoundedBuffer() throws Exception {
        capsule.commands().run("rm -f /tmp/pty-done");
        PtyOptions flood = PtyOptions.builder().cmd("/bin/sh", "-c", "head -c 30000000 /dev/zero | tr '\\000' x; touch /tmp/pty-done").build();
        try (Terminal t = capsule.pty(flood)) {
            Thread.sleep(4000);
            assertFalse(capsule.commands().run("test -e /tmp/pty-done").isSuccess(), "the program wrote 30 MB that nobody read");
            int buffered = t.output().available();
            assertTrue(buffered >= OutputPipe.CAPACITY && buffered <= OutputPipe.CAPACITY + 48 * 1024,
                    "buffered " + buffered + " bytes: a full pipe and at most one frame more");
            long read = readAll(t.output()).length;
            assertEquals(0, t.waitFor(WAIT));
            assertTrue(read >= 30_000_000, "read " + read);
        }
        assertTrue(capsule.commands().run("test -e /tmp/pty-done").isSuccess());
    }

    @Test
    void killEndsTheTerminal() {
        try (Terminal t = capsule.pty(PtyOptions.defaults(), data -> { })) {
            t.kill();
            assertEquals(137, t.waitFor(WAIT));
            t.kill(); // once it has exited, nothing to do
        }
    }

    @Test
    void closingDetachesAndConnectShowsTheScreenAgain() {
        Screen screen = new Screen();
        String tag;
        try (Terminal t = capsule.pty(PtyOptions.defaults(), screen)) {
            tag = t.tag();
            t.write("echo marker-$((6*7))\n");
            screen.await("marker-42");
        }
        assertTrue(capsule.commands().list().stream().anyMatch(p -> tag.equals(p.tag())), "the terminal ended with its handle");
        Screen again = new Screen();
        try (Terminal t = capsule.pty(PtyOptions.connect(tag), again)) {
            assertEquals(tag, t.tag());
            again.await("marker-42");
            t.write("exit 4\n");
            assertEquals(4, t.waitFor(WAIT));
        }
        WrennNotFoundException ended = assertThrows(WrennNotFoundException.class, () -> capsule.pty(PtyOptions.connect(tag)));
        assertEquals("not_found", ended.code());
    }

    @Test
    void theAsyncTwinsComposeWithoutBlocking() throws Exception {
        Screen screen = new Screen();
        int exit = capsule.ptyAsync(PtyOptions.defaults(), screen)
                .thenCompose(t -> t.resizeAsync(33, 11)
                        .thenCompose(x -> t.writeAsync("stty size; exit 6\n".getBytes(StandardCharsets.UTF_8)))
                        .thenCompose(x -> t.onExit()))
                .get(30, TimeUnit.SECONDS);
        assertEquals(6, exit);
        assertTrue(screen.text().contains("11 33"), screen.text());

        int killed = capsule.ptyAsync(PtyOptions.defaults())
                .thenCompose(t -> t.killAsync().thenCompose(x -> t.onExit()))
                .get(30, TimeUnit.SECONDS);
        assertEquals(137, killed);

        CompletionException missing = assertThrows(CompletionException.class,
                () -> capsule.ptyAsync(PtyOptions.connect("pty-00000000")).join());
        assertInstanceOf(WrennNotFoundException.class, missing.getCause());
    }

    /** Everything {@code in} gives until its end, read on another thread so that a hang fails the test. */
    private static byte[] readAll(InputStream in) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return in.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(2, TimeUnit.MINUTES);
    }
}
