package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@code files().upload(path, InputStream)} and {@code files().download(path, OutputStream)} against the real server. */
class StreamedFilesEndToEndTest extends OneCapsuleTest {
    private static final int MIB = 24;
    /** {@code mib} MiB of random bytes made a MiB at a time as they are read, so the test never holds the file. */
    private static InputStream randomMiB(int mib) {
        Random random = new Random(11);
        Iterator<InputStream> pieces = Stream.generate(() -> {
            byte[] piece = new byte[1 << 20];
            random.nextBytes(piece);
            return (InputStream) new ByteArrayInputStream(piece);
        }).limit(mib).iterator();
        return new SequenceInputStream(new Enumeration<>() {
            @Override
            public boolean hasMoreElements() {
                return pieces.hasNext();
            }

            @Override
            public InputStream nextElement() {
                return pieces.next();
            }
        });
    }

    @Test
    void aFileOfManyMegabytesGoesUpAndComesBackByteForByte() {
        DigestInputStream source = new DigestInputStream(randomMiB(MIB), Hashes.sha256());
        capsule.files().upload("/tmp/streamed/big.bin", source);
        String sent = HexFormat.of().formatHex(source.getMessageDigest().digest());
        assertEquals(sent, capsule.commands().run("sha256sum /tmp/streamed/big.bin").stdout().substring(0, 64),
                "the file in the capsule, parent directory created");

        DigestOutputStream sink = new DigestOutputStream(OutputStream.nullOutputStream(), Hashes.sha256());
        assertEquals((long) MIB << 20, capsule.files().download("/tmp/streamed/big.bin", sink));
        assertEquals(sent, HexFormat.of().formatHex(sink.getMessageDigest().digest()));
    }

    @Test
    void aMissingFileIsNotFoundAndNothingIsWritten() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WrennNotFoundException e = assertThrows(WrennNotFoundException.class, () -> capsule.files().download("/tmp/no/such.bin", out));
        assertTrue(e.getMessage().contains("/tmp/no/such.bin"), e.getMessage());
        assertEquals(0, out.size());
        assertThrows(WrennValidationException.class, () -> capsule.files().upload("/tmp", new ByteArrayInputStream(new byte[3])),
                "a directory is not a file to write");
    }

    @Test
    void anUploadWhoseSourceFailsLeavesTheOldFile() {
        capsule.files().write("/tmp/kept.txt", "old content");
        InputStream breaking = new InputStream() {
            private int given;

            @Override
            public int read() throws IOException {
                if (given++ > 100_000) throw new IOException("the disk went away");
                return 'x';
            }
        };
        WrennException e = assertThrows(WrennException.class, () -> capsule.files().upload("/tmp/kept.txt", breaking));
        assertTrue(e.getMessage().contains("the disk went away"), e.getMessage());
        assertEquals("old content", capsule.files().read("/tmp/kept.txt"));
    }

    @Test
    void theAsyncTwinsCompose() {
        byte[] data = new byte[3 << 20];
        new Random(5).nextBytes(data);
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        long n = capsule.files().uploadAsync("/tmp/async.bin", new ByteArrayInputStream(data))
                .thenCompose(x -> capsule.files().downloadAsync("/tmp/async.bin", back))
                .join();
        assertEquals(data.length, n);
        assertEquals(Hashes.sha256(data), Hashes.sha256(back.toByteArray()));

        CompletionException missing = assertThrows(CompletionException.class,
                () -> capsule.files().downloadAsync("/tmp/none.bin", back).join());
        assertInstanceOf(WrennNotFoundException.class, missing.getCause());
    }
}
