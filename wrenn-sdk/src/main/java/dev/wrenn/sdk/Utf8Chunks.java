package dev.wrenn.sdk;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes a byte stream that arrives in pieces as UTF-8 text: the bytes of a character cut between
 * two pieces are held until the next one completes it. An unfinished character at the very end of
 * a stream never comes out: the handler is not told where the stream ends.
 */
final class Utf8Chunks {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private byte[] held = new byte[0];

    String decode(byte[] piece) {
        ByteBuffer in = ByteBuffer.allocate(held.length + piece.length).put(held).put(piece).flip();
        // UTF-8 never gives more chars than bytes: each byte starts at most one char (or replacement)
        CharBuffer out = CharBuffer.allocate(in.remaining());
        decoder.decode(in, out, false);
        held = new byte[in.remaining()];
        in.get(held);
        return out.flip().toString();
    }
}
