package dev.wrenn.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * A PrintWriter over a byte stream that can also pass bytes through untouched: a command's output
 * from a capsule need not be text, nor in this terminal's charset, and must arrive as it was written.
 */
final class ByteWriter extends PrintWriter {
    private final OutputStream bytes;

    ByteWriter(PrintStream stream) {
        super(new OutputStreamWriter(stream, stream.charset()), true);
        this.bytes = stream;
    }

    /**
     * Writes {@code data} exactly when {@code out} is a ByteWriter; any other writer (a test's
     * StringWriter) can only take text, so it gets the bytes decoded as UTF-8.
     */
    static void writeExact(PrintWriter out, byte[] data) {
        if (out instanceof ByteWriter w) {
            w.writeBytes(data);
        } else {
            out.write(new String(data, StandardCharsets.UTF_8));
            out.flush();
        }
    }

    private void writeBytes(byte[] data) {
        flush(); // text printed before must come out before these bytes
        try {
            bytes.write(data);
            bytes.flush();
        } catch (IOException e) {
            setError(); // as PrintWriter does for text: checkError() reports it
        }
    }
}
