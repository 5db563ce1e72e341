package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Streamed commands and attaches ({@code commands().stream/connect}) against the real server with real capsules. */
class CommandStreamEndToEndTest extends OneCapsuleTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private CommandStream stream(String shellLine, OutputHandler handler) {
        return capsule.commands().stream(shellLine, handler);
    }

    private boolean alive(int pid) {
        return capsule.commands().run("kill -0 " + pid).isSuccess();
    }

    @Test
    void outputComesAsItIsWrittenInOrderThenTheExitCode() {
        Recorder out = new Recorder();
        try (CommandStream s = stream("for i in 1 2 3; do echo out$i; sleep 0.2; echo err$i >&2; sleep 0.2; done; sleep 3; exit 7", out)) {
            assertTrue(s.pid() > 1);
            assertNull(s.tag(), "a command that is neither detached nor tagged has no tag");
            Recorder.await(WAIT, () -> out.stderr().contains("err3"), "the last line before the sleep");
            assertFalse(s.onExit().isDone(), "the output came while the command still ran");
            assertEquals(7, s.waitFor(WAIT));
        }
        assertEquals(List.of("out:out1\n", "err:err1\n", "out:out2\n", "err:err2\n", "out:out3\n", "err:err3\n"), out.pieces());
    }

    @Test
    void stdinIsWrittenAndClosedOrGivenUpFront() {
        Recorder out = new Recorder();
        try (CommandStream cat = capsule.commands().stream(List.of("cat"), RunOptions.defaults(), out)) {
            cat.writeStdin("héllo ");
            cat.writeStdin(new byte[] {0, (byte) 0xff, '\n'});
            cat.closeStdin();
            assertEquals(0, cat.waitFor(WAIT));
        }
        assertArrayEquals(concat("héllo ".getBytes(StandardCharsets.UTF_8), new byte[] {0, (byte) 0xff, '\n'}), out.stdoutBytes());

        byte[] big = new byte[300 * 1024]; // several stdin frames
        new java.util.Random(3).nextBytes(big);
        Recorder sum = new Recorder();
        try (CommandStream s = stream("sha256sum", sum)) {
            s.writeStdin(big);
            s.closeStdin();
            assertEquals(0, s.waitFor(WAIT));
        }
        assertEquals(Hashes.sha256(big) + "  -\n", sum.stdout());

        Recorder given = new Recorder();
        try (CommandStream s = capsule.commands().stream("cat; echo", RunOptions.builder().stdin("given up front").build(), given)) {
            assertEquals(0, s.waitFor(WAIT), "stdin from the options is closed after it is written");
        }
        assertEquals("given up front\n", given.stdout());
    }

    @Test
    void killEndsTheProcessGroupAndWaitingIsBounded() {
        try (CommandStream s = stream("sleep 300 & sleep 301; wait", new OutputHandler() {})) {
            WrennTimeoutException slow = assertThrows(WrennTimeoutException.class, () -> s.waitFor(Duration.ofMillis(300)));
            assertTrue(slow.getMessage().contains("process " + s.pid() + " did not exit within 300 ms"), slow.getMessage());
            assertTrue(alive(s.pid()), "a wait that timed out leaves the command running");
            s.kill();
            assertEquals(137, s.waitFor(WAIT));
            s.kill(); // once it has exited, nothing to do
            s.closeStdin();
        }
        assertFalse(capsule.commands().run("pgrep -f 'sleep 30[01]'").isSuccess(), "the whole group was killed");
    }

    @Test
    void closingTheStreamOfACommandItStartedKillsIt() {
        CommandStream s = stream("sleep 304", new OutputHandler() {});
        int pid = s.pid();
        s.close();
        Recorder.await(WAIT, () -> !alive(pid), "the command's death with its stream");
        WrennException closed = assertThrows(WrennException.class, () -> s.waitFor(WAIT));
        assertEquals("stream_closed", closed.code());
        assertEquals("stream_closed", assertThrows(WrennException.class, () -> s.writeStdin("late")).code());
    }

    @Test
    void binaryOutputArrivesByteForByteAcrossManyFrames() {
        capsule.commands().run("head -c 3000000 /dev/urandom > /tmp/random.bin");
        String expected = capsule.commands().run("sha256sum < /tmp/random.bin").stdout().substring(0, 64);
        Recorder out = new Recorder();
        try (CommandStream s = stream("cat /tmp/random.bin; printf '\\377\\000\\303'", out)) {
            assertEquals(0, s.waitFor(WAIT));
        }
        byte[] got = out.stdoutBytes();
        assertEquals(3000003, got.length);
        assertEquals(expected, Hashes.sha256(java.util.Arrays.copyOf(got, 3000000)));
        assertArrayEquals(new byte[] {(byte) 0xff, 0, (byte) 0xc3}, java.util.Arrays.copyOfRange(got, 3000000, 3000003));
    }

    @Test
    void theTextFormKeepsACharacterWholeWhenItsBytesArriveApart() {
        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        OutputHandler text = OutputHandler.text(out::append, err::append);
        try (CommandStream s = stream("printf 'h\\303'; sleep 0.5; printf '\\251llo\\n'; printf 'bad \\377\\n' >&2", text)) {
            assertEquals(0, s.waitFor(WAIT));
        }
        assertEquals("héllo\n", out.toString());
        assertEquals("bad \uFFFD\n", err.toString());
    }

    @Test
    void aSlowHandlerHoldsTheCommandBackInsteadOfFillingMemory() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        OutputHandler stuck = new OutputHandler() {
            @Override
            public void onStdout(byte[] data) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        capsule.commands().run("rm -f /tmp/flow-done");
        try (CommandStream s = stream("head -c 64000000 /dev/zero; touch /tmp/flow-done", stuck)) {
            Thread.sleep(4000);
            assertFalse(capsule.commands().run("test -e /tmp/flow-done").isSuccess(),
                    "the command wrote 64 MB while its handler took nothing");
            release.countDown();
            assertEquals(0, s.waitFor(Duration.ofMinutes(2)));
        }
        assertTrue(capsule.commands().run("test -e /tmp/flow-done").isSuccess());
    }

    @Test
    void aHandlerThatThrowsEndsTheStreamWithItsExceptionAndTheCommandWithIt() {
        IllegalStateException boom = new IllegalStateException("boom");
        CommandStream s = stream("echo x; sleep 305", new OutputHandler() {
            @Override
            public void onStdout(byte[] data) {
                throw boom;
            }
        });
        assertSame(boom, assertThrows(IllegalStateException.class, () -> s.waitFor(WAIT)));
        Recorder.await(WAIT, () -> !alive(s.pid()), "the command's death with its stream");
    }

    @Test
    void connectReplaysABackgroundCommandsEarlierOutputThenFollowsItToItsExit() {
        capsule.commands().run("rm -f /tmp/bg-ready");
        capsule.commands().runInBackground("echo early; echo early-err >&2; touch /tmp/bg-ready; sleep 3; echo late; exit 4",
                RunOptions.builder().tag("follow-me").build());
        Recorder.await(WAIT, () -> capsule.commands().run("test -e /tmp/bg-ready").isSuccess(), "the background command's first output");
        Recorder out = new Recorder();
        try (CommandStream s = capsule.commands().connect("follow-me", out)) {
            assertEquals("follow-me", s.tag());
            assertEquals(4, s.waitFor(WAIT));
        }
        assertEquals("early\nearly-err\n", out.replay(), "both streams as written before the attach, replayed");
        assertEquals("late\n", out.stdout(), "then the live output, none of it twice");
        assertTrue(out.pieces().get(0).startsWith("replay:"), out.pieces()::toString);
    }

    @Test
    void aDetachedCommandOutlivesItsStreamAndTakesInputFromAConnectAgain() {
        Recorder first = new Recorder();
        int pid;
        try (CommandStream s = capsule.commands().stream("echo started; while read l; do echo \"got $l\"; done",
                RunOptions.builder().detach(true).tag("kept").build(), first)) {
            assertEquals("kept", s.tag());
            pid = s.pid();
            Recorder.await(WAIT, () -> first.stdout().equals("started\n"), "the first output");
        }
        assertTrue(capsule.commands().list().stream().anyMatch(p -> "kept".equals(p.tag()) && p.pid() == pid),
                "a detached command died with its stream");
        Recorder again = new Recorder();
        try (CommandStream s = capsule.commands().connect(Integer.toString(pid), again)) {
            Recorder.await(WAIT, () -> again.replay().equals("started\n"), "the replay");
            s.writeStdin("more\n");
            Recorder.await(WAIT, () -> again.stdout().equals("got more\n"), "live output after the replay");
            assertThrows(IllegalStateException.class, s::closeStdin, "an attach stream can only write input");
        }
        assertTrue(alive(pid), "closing an attach stream only detaches");
        try (CommandStream s = capsule.commands().connect("kept", new OutputHandler() {})) {
            s.kill();
            assertEquals(137, s.waitFor(WAIT), "a connected handle kills the process too");
        }
    }

    @Test
    void refusalsArriveAsTheTypedExceptionsOfTheirCodes() {
        WrennNotFoundException noProgram = assertThrows(WrennNotFoundException.class,
                () -> capsule.commands().stream(List.of("no-such-program"), RunOptions.defaults(), new OutputHandler() {}));
        assertEquals("not_found", noProgram.code());
        assertEquals("not_found", assertThrows(WrennNotFoundException.class,
                () -> capsule.commands().connect("nobody-here", new OutputHandler() {})).code());
        assertThrows(WrennValidationException.class, () -> capsule.commands().stream("true",
                RunOptions.builder().tag("not allowed").detach(true).build(), new OutputHandler() {}));

        String missing = "cl-" + "0".repeat(25);
        WrennNotFoundException gone = assertThrows(WrennNotFoundException.class, () -> Futures.await(streamsOf(client, missing)
                .exec("true", List.of(), RunOptions.defaults(), new OutputHandler() {})));
        assertTrue(gone.getMessage().contains(missing), gone.getMessage());
        assertEquals(404, gone.statusCode());

        try (WrennClient otherTeam = RealServer.client(RealServer.newTeamKey())) {
            WrennNotFoundException hidden = assertThrows(WrennNotFoundException.class, () -> Futures.await(
                    streamsOf(otherTeam, capsule.id()).exec("true", List.of(), RunOptions.defaults(), new OutputHandler() {})));
            assertEquals("not_found", hidden.code(), "another team's capsule is not found, not forbidden");
        }
        try (WrennClient stranger = RealServer.client("wrn_" + "0".repeat(32))) {
            WrennAuthenticationException refused = assertThrows(WrennAuthenticationException.class, () -> Futures.await(
                    streamsOf(stranger, capsule.id()).exec("true", List.of(), RunOptions.defaults(), new OutputHandler() {})));
            assertEquals(401, refused.statusCode(), "a bad key is refused before the upgrade: " + refused.getMessage());
        }
    }

    /** The stream endpoints for any id and any key: the public API only makes handles on capsules it found. */
    private static GuestStreams streamsOf(WrennClient c, String capsuleId) {
        return new GuestStreams(c.api(), capsuleId, new GuestCalls(c.api(), capsuleId));
    }

    @Test
    void aPauseEndsTheStreamWithCapsulePausedAndTheCommandCanBeFollowedAfterResume() {
        try (Capsule paused = Capsule.create(client, CreateCapsuleParams.defaults(), true)) {
            Recorder out = new Recorder();
            CommandStream s = paused.commands().stream("i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.3; done", out);
            Recorder.await(WAIT, () -> out.stdout().contains("tick-1"), "the first tick");
            paused.pause();
            WrennConflictException ended = assertThrows(WrennConflictException.class, () -> s.waitFor(WAIT));
            assertEquals("capsule_paused", ended.code());
            assertEquals("invalid_state", assertThrows(WrennConflictException.class,
                    () -> paused.commands().stream("true", new OutputHandler() {})).code(), "a paused capsule runs nothing");

            paused.resume();
            Recorder after = new Recorder();
            try (CommandStream again = paused.commands().connect(Integer.toString(s.pid()), after)) {
                Recorder.await(WAIT, () -> after.stdout().contains("tick-"), "ticks after the resume");
                again.kill();
                assertEquals(137, again.waitFor(WAIT));
            }
        }
    }

    @Test
    void theAsyncTwinsComposeWithoutBlocking() throws Exception {
        Recorder out = new Recorder();
        int exit = capsule.commands().streamAsync(List.of("sh", "-c", "read a; echo \"async $a\"; exit 9"), RunOptions.defaults(), out)
                .thenCompose(s -> s.writeStdinAsync("twin\n".getBytes(StandardCharsets.UTF_8))
                        .thenCompose(x -> s.closeStdinAsync())
                        .thenCompose(x -> s.onExit()))
                .get(30, TimeUnit.SECONDS);
        assertEquals(9, exit);
        assertEquals("async twin\n", out.stdout());

        int killed = capsule.commands().streamAsync("sleep 307", RunOptions.defaults(), new OutputHandler() {})
                .thenCompose(s -> s.killAsync().thenCompose(x -> s.onExit()))
                .get(30, TimeUnit.SECONDS);
        assertEquals(137, killed);

        CompletionException missing = assertThrows(CompletionException.class,
                () -> capsule.commands().connectAsync("nobody-async", new OutputHandler() {}).join());
        assertInstanceOf(WrennNotFoundException.class, missing.getCause());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(a);
        o.writeBytes(b);
        return o.toByteArray();
    }
}
