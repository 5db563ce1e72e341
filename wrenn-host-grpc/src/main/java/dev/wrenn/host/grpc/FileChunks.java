package dev.wrenn.host.grpc;

import com.google.protobuf.ByteString;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.grpc.v1.FileChunk;
import java.util.Arrays;

/**
 * File data on the wire: a run of zeros travels as its length, not its bytes. Guests' memory files
 * and disk images are mostly zeros; encrypting and sending them would be most of a copy's time.
 */
final class FileChunks {
    /** File data travels in pieces of this size (well below gRPC's message limit). */
    static final int CHUNK = 64 * 1024;
    private static final byte[] ZEROS = new byte[CHUNK];

    private FileChunks() {}

    /** A chunk of {@code len} bytes of {@code b} from {@code off} (at most {@link #CHUNK}). */
    static FileChunk of(byte[] b, int off, int len) {
        if (Arrays.mismatch(b, off, off + len, ZEROS, 0, len) >= 0) {
            return FileChunk.newBuilder().setData(ByteString.copyFrom(b, off, len)).build();
        }
        return FileChunk.newBuilder().setZeros(len).build();
    }

    /** The bytes a chunk carries; a run of zeros longer than a chunk is refused (it could ask for any memory). */
    static byte[] bytes(FileChunk c) {
        if (c.getZeros() == 0) return c.getData().toByteArray();
        if (c.getZeros() < 0 || c.getZeros() > CHUNK || !c.getData().isEmpty()) {
            throw new HostException(HostError.INVALID_ARGUMENT, "a file chunk of " + c.getZeros() + " zeros and "
                    + c.getData().size() + " bytes of data; at most " + CHUNK + " zeros and no data go together");
        }
        return new byte[c.getZeros()];
    }
}
