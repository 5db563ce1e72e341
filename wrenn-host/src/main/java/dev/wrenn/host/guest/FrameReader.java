package dev.wrenn.host.guest;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads frames from the guest's byte stream. A header with a wrong magic or an oversized length
 * is not a frame: the reader drops one byte and scans on, so garbage (or a half frame left by a
 * paused VM) can never make it allocate without bound or lose sync for good.
 */
final class FrameReader {
    private final InputStream in;
    private final byte[] header = new byte[Frame.HEADER];
    private int headerFill;
    private long skippedBytes;

    FrameReader(InputStream in) {
        this.in = in;
    }

    /** The next well-formed frame; EOFException when the stream ends. */
    Frame next() throws IOException {
        while (true) {
            fillHeader();
            int magic = ((header[0] & 0xff) << 8) | (header[1] & 0xff);
            long length = ((long) (header[8] & 0xff) << 24) | ((header[9] & 0xff) << 16)
                    | ((header[10] & 0xff) << 8) | (header[11] & 0xff);
            if (magic != Frame.MAGIC || length > Frame.MAX_PAYLOAD) {
                System.arraycopy(header, 1, header, 0, Frame.HEADER - 1);
                headerFill = Frame.HEADER - 1;
                skippedBytes++;
                continue;
            }
            int type = header[2] & 0xff;
            int stream = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16)
                    | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
            byte[] payload = in.readNBytes((int) length);
            if (payload.length < length) throw new EOFException("stream ended inside a frame");
            headerFill = 0;
            return new Frame(type, stream, payload);
        }
    }

    /** Bytes dropped while scanning for a frame boundary, for diagnostics. */
    long skippedBytes() {
        return skippedBytes;
    }

    private void fillHeader() throws IOException {
        while (headerFill < Frame.HEADER) {
            int n = in.read(header, headerFill, Frame.HEADER - headerFill);
            if (n < 0) throw new EOFException("guest channel closed");
            headerFill += n;
        }
    }
}
