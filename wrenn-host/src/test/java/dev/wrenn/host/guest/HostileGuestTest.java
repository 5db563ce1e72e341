package dev.wrenn.host.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.api.ExecRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * The host side against a guest that misbehaves on purpose. The real agent never sends these
 * bytes, which is why a scripted guest stands in for it here: the point is that a compromised
 * guest cannot hang or crash the host.
 */
class HostileGuestTest {
    private static final Duration CALL = Duration.ofMillis(500);

    /** A scripted guest: answers HELLO properly, then hands every other frame to {@code script}. */
    private static final class ScriptedGuest {
        final PipedInputStream hostIn = new PipedInputStream(1 << 22);
        final PipedOutputStream guestOut;
        final PipedOutputStream hostOut = new PipedOutputStream();
        final PipedInputStream guestIn;

        ScriptedGuest(BiConsumer<Frame, ScriptedGuest> script) throws IOException {
            guestOut = new PipedOutputStream(hostIn);
            guestIn = new PipedInputStream(hostOut, 1 << 22);
            Thread.ofVirtual().start(() -> {
                try {
                    FrameReader r = new FrameReader(guestIn);
                    while (true) {
                        Frame f = r.next();
                        if (f.type() == FrameType.HELLO) {
                            send(new byte[] {9, 9, 0x57});
                            send(Frame.of(FrameType.HELLO_ACK, 0, Record.builder().put("nonce", "not-yours").build()));
                            send(Frame.of(FrameType.HELLO_ACK, 0, f.record()));
                        } else {
                            script.accept(f, this);
                        }
                    }
                } catch (IOException e) {
                    // the host closed the channel: the script is over
                }
            });
        }

        void send(Frame f) {
            ByteBuffer b = f.encode();
            send(java.util.Arrays.copyOf(b.array(), b.limit()));
        }

        synchronized void send(byte[] raw) {
            try {
                guestOut.write(raw);
                guestOut.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        GuestChannel connect() {
            return GuestChannel.open("hostile", hostIn, hostOut, () -> {
                hostOut.close();
                hostIn.close();
            }, Duration.ofSeconds(5), CALL);
        }
    }

    @Test
    void handshakeSkipsGarbageAndForeignNonces() throws Exception {
        ScriptedGuest g = new ScriptedGuest((f, s) -> s.send(Frame.of(FrameType.OK, f.stream(), Record.empty())));
        try (GuestChannel ch = g.connect()) {
            ch.ping();
        }
    }

    @Test
    void silentGuestTimesOutNamingTheWait() throws Exception {
        ScriptedGuest g = new ScriptedGuest((f, s) -> { });
        try (GuestChannel ch = g.connect()) {
            long t0 = System.nanoTime();
            GuestTimeoutException e = assertThrows(GuestTimeoutException.class, ch::ping);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 400 && ms < 3000, "timed out after " + ms + " ms");
            assertTrue(e.getMessage().contains("answer"), e.getMessage());
        }
    }

    @Test
    void outputBeyondTheGrantedCreditFailsTheStream() throws Exception {
        ScriptedGuest g = new ScriptedGuest((f, s) -> {
            if (f.type() != FrameType.EXEC) return;
            s.send(Frame.of(FrameType.OK, f.stream(), Record.builder().put("pid", 5).build()));
            byte[] chunk = new byte[Frame.MAX_PAYLOAD];
            s.send(new Frame(FrameType.STDOUT, f.stream(), chunk));
            s.send(new Frame(FrameType.STDOUT, f.stream(), chunk));
        });
        try (GuestChannel ch = g.connect(); ExecSession session = ch.start(ExecRequest.command("yes").build())) {
            // the host has consumed nothing yet, so it has granted nothing beyond the first MiB
            Thread.sleep(300);
            GuestProtocolException e = assertThrows(GuestProtocolException.class, () -> {
                while (true) session.next(System.nanoTime() + CALL.toNanos());
            });
            assertTrue(e.getMessage().contains("credit"), e.getMessage());
        }
    }

    @Test
    void guestHangingUpMidRequestEndsEveryWaitAtOnce() throws Exception {
        ScriptedGuest[] self = new ScriptedGuest[1];
        self[0] = new ScriptedGuest((f, s) -> {
            try {
                s.guestOut.close();
            } catch (IOException ignored) {
                // closing is the point
            }
        });
        GuestChannel ch = self[0].connect();
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            assertThrows(GuestProtocolException.class,
                    () -> ch.exec(ExecRequest.command("sleep", "100").timeout(Duration.ZERO).build()));
            ch.closedFuture().get(1, TimeUnit.SECONDS);
        });
        assertEquals(false, ch.isOpen());
    }

    @Test
    void errorFrameCarriesTheErrnoName() throws Exception {
        ScriptedGuest g = new ScriptedGuest((f, s) -> s.send(Frame.of(FrameType.ERROR, f.stream(),
                Record.builder().put("errno", 2).put("code", "ENOENT").put("message", "/nope: no such file").build())));
        try (GuestChannel ch = g.connect()) {
            GuestException e = assertThrows(GuestException.class, () -> ch.stat("/nope"));
            assertEquals("ENOENT", e.code());
            assertEquals(2, e.errno());
        }
    }

    @Test
    void replayBeyondTheCreditOfAnAttachFailsTheStreamNotTheHost() throws Exception {
        ScriptedGuest g = new ScriptedGuest((f, s) -> {
            if (f.type() == FrameType.ATTACH) {
                s.send(Frame.of(FrameType.OK, f.stream(), Record.builder().put("pid", 9).build()));
                byte[] chunk = new byte[Frame.MAX_PAYLOAD];
                s.send(new Frame(FrameType.REPLAY, f.stream(), chunk));
                s.send(new Frame(FrameType.REPLAY, f.stream(), chunk));
            } else if (f.type() == FrameType.PING) {
                s.send(Frame.of(FrameType.OK, f.stream(), Record.empty()));
            }
        });
        try (GuestChannel ch = g.connect(); ExecSession session = ch.attach("9", true)) {
            Thread.sleep(300);
            GuestProtocolException e = assertThrows(GuestProtocolException.class, () -> {
                while (true) session.next(System.nanoTime() + CALL.toNanos());
            });
            assertTrue(e.getMessage().contains("credit"), e.getMessage());
            ch.ping();   // the channel itself is fine
        }
    }

    @Test
    void framesForStreamsThatEndedOrNeverExistedAreIgnored() throws Exception {
        ScriptedGuest g = new ScriptedGuest((f, s) -> {
            if (f.type() == FrameType.EXEC) {
                s.send(Frame.of(FrameType.OK, f.stream(), Record.builder().put("pid", 3).build()));
                s.send(Frame.of(FrameType.EXIT, f.stream(), Record.builder().put("exit_code", 0).build()));
                s.send(new Frame(FrameType.STDOUT, f.stream(), new byte[] {1, 2, 3}));
                s.send(new Frame(FrameType.REPLAY, 77777, new byte[] {4}));
                s.send(Frame.of(FrameType.EXIT, 88888, Record.empty()));
            } else {
                s.send(Frame.of(FrameType.OK, f.stream(), Record.empty()));
            }
        });
        try (GuestChannel ch = g.connect()) {
            assertEquals(0, ch.exec(ExecRequest.command("true").build()).exitCode());
            ch.ping();
        }
    }

    @Test
    void anAttachAnsweredWithGarbageIsAnErrorNotAHang() throws Exception {
        ScriptedGuest g = new ScriptedGuest((f, s) -> {
            if (f.type() == FrameType.ATTACH) s.send(new Frame(FrameType.OK, f.stream(), new byte[] {0, 9, 'x'}));
        });
        try (GuestChannel ch = g.connect()) {
            assertTimeoutPreemptively(Duration.ofSeconds(3),
                    () -> assertThrows(GuestProtocolException.class, () -> ch.attach("tag", true)));
        }
    }

    @Test
    void closingASessionWakesTheThreadWaitingForItsOutput() throws Exception {
        ScriptedGuest g = new ScriptedGuest((f, s) -> {
            if (f.type() == FrameType.EXEC) s.send(Frame.of(FrameType.OK, f.stream(), Record.builder().put("pid", 4).build()));
        });
        try (GuestChannel ch = g.connect()) {
            ExecSession session = ch.start(ExecRequest.command("sleep", "100").timeout(Duration.ZERO).build());
            var waiting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    session.next(0);
                    return "returned";
                } catch (ChannelClosedException e) {
                    return e.reason().name();
                }
            });
            Thread.sleep(200);
            session.close();
            assertEquals("STREAM_CLOSED", waiting.get(2, TimeUnit.SECONDS));
        }
    }

    static OutputStream nowhere() {
        return OutputStream.nullOutputStream();
    }

    /**
     * A guest that answers every request with random frames: right and wrong stream ids, known and
     * unknown types, records that are well-formed, truncated or random bytes, garbage between them.
     * Every call ends within its timeout with a result, the guest's error ({@link GuestException})
     * or a {@link GuestProtocolException} naming the nonsense; nothing hangs, nothing else is thrown. Seconds: {@code -Dwrenn.fuzz.seconds} (5; `make soak` runs longer).
     */
    @Test
    void randomAnswersEndEveryCallWithAResultOrATypedError() throws Exception {
        long seed = Long.getLong("wrenn.fuzz.seed", System.nanoTime());
        java.util.Random random = new java.util.Random(seed);
        long deadline = System.nanoTime() + Duration.ofSeconds(Long.getLong("wrenn.fuzz.seconds", 5)).toNanos();
        int calls = 0;
        while (System.nanoTime() < deadline) {
            ScriptedGuest g = new ScriptedGuest((f, s) -> {
                for (int i = random.nextInt(4); i >= 0; i--) s.send(randomAnswer(random, f.stream()));
            });
            try (GuestChannel ch = g.connect()) {
                for (int i = 0; i < 20 && ch.isOpen(); i++, calls++) {
                    int call = random.nextInt(5);
                    assertTimeoutPreemptively(CALL.multipliedBy(4), () -> {
                        try {
                            switch (call) {
                                case 0 -> ch.ping();
                                case 1 -> ch.exec(ExecRequest.command("true").timeout(CALL).build());   // bounded by its timeout
                                case 2 -> ch.processes();
                                case 3 -> ch.stat("/x");
                                default -> ch.list("/", 1);
                            }
                        } catch (GuestException | GuestProtocolException expected) {
                            // an error answer, or the nonsense named as such: both typed
                        }
                    }, () -> "call " + call + " hung (seed " + seed + ")");
                }
            }
        }
        System.out.printf("SOAK guest_protocol_fuzz seconds=%d calls=%d hung=0 seed=%d%n",
                Long.getLong("wrenn.fuzz.seconds", 5), calls, seed);
        assertTrue(calls > 20, "calls made: " + calls);
    }

    /** Every type the protocol defines. */
    private static final int[] FRAME_TYPES = java.util.Arrays.stream(FrameType.class.getDeclaredFields())
            .filter(f -> f.getType() == int.class && java.lang.reflect.Modifier.isStatic(f.getModifiers()))
            .mapToInt(f -> {
                try {
                    return f.getInt(null);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }).toArray();

    private static byte[] randomAnswer(java.util.Random random, int stream) {
        byte[] garbage = new byte[random.nextInt(3) == 0 ? random.nextInt(40) : 0];
        random.nextBytes(garbage);
        int type = random.nextInt(4) == 0 ? random.nextInt(256) : FRAME_TYPES[random.nextInt(FRAME_TYPES.length)];
        int id = random.nextInt(3) == 0 ? random.nextInt(8) : stream;
        byte[] payload = switch (random.nextInt(4)) {
            case 0 -> new byte[0];
            case 1 -> {
                byte[] b = new byte[random.nextInt(300)];
                random.nextBytes(b);
                yield b;
            }
            default -> {
                Record.Builder r = Record.builder();
                String[] keys = {"exit_code", "pid", "code", "message", "errno", "stdout", "size", "name", "proc", "entry", "type"};
                for (int i = random.nextInt(6); i > 0; i--) {
                    String key = keys[random.nextInt(keys.length)];
                    if (random.nextBoolean()) r.put(key, random.nextLong() >> random.nextInt(64));
                    else r.put(key, Record.builder().put(keys[random.nextInt(keys.length)], "x".repeat(random.nextInt(5))).build().encode());
                }
                byte[] b = r.build().encode();
                yield random.nextInt(4) == 0 && b.length > 0 ? java.util.Arrays.copyOf(b, random.nextInt(b.length)) : b;
            }
        };
        ByteBuffer f = ByteBuffer.allocate(12 + payload.length).putShort((short) Frame.MAGIC).put((byte) type).put((byte) 0)
                .putInt(id).putInt(payload.length).put(payload);
        byte[] out = new byte[garbage.length + f.capacity()];
        System.arraycopy(garbage, 0, out, 0, garbage.length);
        System.arraycopy(f.array(), 0, out, garbage.length, f.capacity());
        return out;
    }
}
