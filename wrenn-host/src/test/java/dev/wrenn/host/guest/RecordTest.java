package dev.wrenn.host.guest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordTest {
    @Test
    void repeatedKeysKeepTheirOrderAndValuesRoundTrip() {
        byte[] binary = {0, (byte) 0xff, 10, 13};
        Record r = Record.builder().put("arg", "ls").put("arg", "-la").put("n", 42).put("b", binary).build();
        Record back = Record.decode(r.encode());
        assertEquals(List.of("ls", "-la"), back.strings("arg"));
        assertEquals(42, back.number("n", -1));
        assertArrayEquals(binary, back.bytes("b").orElseThrow());
        assertEquals(7, back.number("absent", 7));
    }

    @Test
    void valueLengthBeyondThePayloadIsRejected() {
        byte[] bad = {0, 1, 'k', 0x7f, 0, 0, 0, 'v'};
        GuestProtocolException e = assertThrows(GuestProtocolException.class, () -> Record.decode(bad));
        assertEquals(true, e.getMessage().contains("exceeds"), e.getMessage());
    }

    @Test
    void nonNumericNumberFieldIsAProtocolError() {
        Record r = Record.builder().put("pid", "12x").build();
        assertThrows(GuestProtocolException.class, () -> r.number("pid", 0));
    }

    @Test
    void randomBytesNeverFailWithAnythingButAProtocolError() {
        Random rnd = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            byte[] junk = new byte[rnd.nextInt(64)];
            rnd.nextBytes(junk);
            try {
                Record.decode(junk);
            } catch (GuestProtocolException expected) {
                // hostile input is refused by name, never by a crash of another kind
            }
        }
    }
}
