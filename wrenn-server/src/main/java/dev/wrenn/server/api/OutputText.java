package dev.wrenn.server.api;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * One output stream of a process decoded as UTF-8 chunk by chunk: a character split between two
 * chunks is kept until its rest arrives, and invalid bytes become U+FFFD (api.md §6a).
 */
final class OutputText {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    /** At most the 3 bytes of an unfinished character, carried to the next chunk. */
    private byte[] carry = new byte[0];

    String decode(byte[] chunk) {
        ByteBuffer in = ByteBuffer.allocate(carry.length + chunk.length).put(carry).put(chunk).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        decoder.decode(in, out, false);
        carry = new byte[in.remaining()];
        in.get(carry);
        return out.flip().toString();
    }

    /** What is left at the end of the stream: an unfinished character, replaced. */
    String finish() {
        CharBuffer out = CharBuffer.allocate(carry.length + 1);
        decoder.decode(ByteBuffer.wrap(carry), out, true);
        decoder.flush(out);
        carry = new byte[0];
        return out.flip().toString();
    }
}
