package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The bounded pipe behind {@link Terminal#output()}: the writer waits for room, never the memory. */
class OutputPipeTest {
    private static final int PIECE = 32 * 1024;

    @Test
    void aFullPipeHoldsTheWriterBackUntilTheReaderMakesRoom() throws IOException {
        OutputPipe pipe = new OutputPipe();
        int pieces = OutputPipe.CAPACITY / PIECE;
        for (int i = 1; i < pieces; i++) assertTrue(pipe.offer(new byte[PIECE]).toCompletableFuture().isDone());
        CompletableFuture<?> room = pipe.offer(new byte[PIECE]).toCompletableFuture();
        assertFalse(room.isDone(), "the pipe is full: the next frame must wait");
        assertEquals(OutputPipe.CAPACITY, pipe.available());

        assertEquals(100, pipe.read(new byte[100]));
        assertTrue(room.isDone(), "a read made room");
        assertEquals(OutputPipe.CAPACITY - 100, pipe.available());
    }

    @Test
    void bytesComeOutInOrderAcrossPiecesThenTheEnd() throws IOException {
        OutputPipe pipe = new OutputPipe();
        pipe.offer(new byte[] {1, 2, 3});
        pipe.offer(new byte[] {4});
        pipe.end(null);
        byte[] two = new byte[2];
        assertEquals(2, pipe.read(two));
        assertArrayEquals(new byte[] {1, 2}, two);
        assertEquals(3, pipe.read());
        assertEquals(4, pipe.read());
        assertEquals(-1, pipe.read());
    }

    @Test
    void aFailedStreamIsAnIOExceptionCarryingTheCauseOnceTheBytesAreRead() throws IOException {
        OutputPipe pipe = new OutputPipe();
        WrennConflictException paused = new WrennConflictException(409, "capsule_paused", "capsule paused", null);
        pipe.offer(new byte[] {7});
        pipe.end(paused);
        assertEquals(7, pipe.read());
        assertSame(paused, assertThrows(IOException.class, pipe::read).getCause());
    }

    @Test
    void closingDropsTheOutputAndNeverHoldsTheWriter() {
        OutputPipe pipe = new OutputPipe();
        CompletableFuture<?> room = null;
        for (int i = 0; i < OutputPipe.CAPACITY / PIECE; i++) room = pipe.offer(new byte[PIECE]).toCompletableFuture();
        assertFalse(room.isDone());
        pipe.close();
        assertTrue(room.isDone(), "closing frees the writer");
        assertTrue(pipe.offer(new byte[PIECE]).toCompletableFuture().isDone(), "later output is dropped at once");
        assertEquals(0, pipe.available());
        assertThrows(IOException.class, pipe::read);
    }
}
