package dev.wrenn.sdk;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** An OutputHandler that keeps everything it is given: each stream's bytes, and the order of the pieces. */
final class Recorder implements OutputHandler {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final ByteArrayOutputStream replay = new ByteArrayOutputStream();
    private final List<String> pieces = new ArrayList<>();

    @Override
    public synchronized void onStdout(byte[] data) {
        stdout.writeBytes(data);
        pieces.add("out:" + new String(data, StandardCharsets.UTF_8));
    }

    @Override
    public synchronized void onStderr(byte[] data) {
        stderr.writeBytes(data);
        pieces.add("err:" + new String(data, StandardCharsets.UTF_8));
    }

    @Override
    public synchronized void onReplay(byte[] data) {
        replay.writeBytes(data);
        pieces.add("replay:" + new String(data, StandardCharsets.UTF_8));
    }

    synchronized byte[] stdoutBytes() {
        return stdout.toByteArray();
    }

    synchronized String stdout() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    synchronized String stderr() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    synchronized String replay() {
        return replay.toString(StandardCharsets.UTF_8);
    }

    /** Every piece as {@code out:…}, {@code err:…} or {@code replay:…}, in the order they came. */
    synchronized List<String> pieces() {
        return List.copyOf(pieces);
    }

    /** Waits (at most {@code timeout}) until {@code condition} holds. */
    static void await(Duration timeout, BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError(what + " did not happen within " + timeout);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }
}
