package dev.wrenn.host.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FrameReaderTest {
    private static byte[] bytes(Frame f) {
        ByteBuffer b = f.encode();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Test
    void resynchronisesAfterGarbageAndHalfFrames() throws Exception {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.writeBytes(new byte[] {1, 2, 3, 0x57, 9, 9});
        byte[] half = bytes(new Frame(FrameType.OK, 5, new byte[] {1, 2, 3, 4, 5}));
        s.write(half, 0, 7);
        Frame wanted = new Frame(FrameType.HELLO_ACK, 0, "payload".getBytes());
        s.writeBytes(bytes(wanted));
        FrameReader r = new FrameReader(new ByteArrayInputStream(s.toByteArray()));
        Frame got = r.next();
        assertEquals(FrameType.HELLO_ACK, got.type());
        assertArrayEquals(wanted.payload(), got.payload());
    }

    @Test
    void oversizedLengthIsSkippedNotAllocated() throws Exception {
        ByteBuffer huge = ByteBuffer.allocate(12).putShort((short) Frame.MAGIC).put((byte) 0x80).put((byte) 0)
                .putInt(1).putInt(Integer.MAX_VALUE);
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.writeBytes(huge.array());
        s.writeBytes(bytes(new Frame(FrameType.OK, 2, new byte[0])));
        Frame got = new FrameReader(new ByteArrayInputStream(s.toByteArray())).next();
        assertEquals(2, got.stream());
    }

    @Test
    void streamEndingInsideAFrameIsEof() {
        byte[] whole = bytes(new Frame(FrameType.OK, 1, new byte[100]));
        byte[] cut = java.util.Arrays.copyOf(whole, 50);
        assertThrows(EOFException.class, () -> new FrameReader(new ByteArrayInputStream(cut)).next());
    }
}
