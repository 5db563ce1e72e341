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
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code files().upload(path, InputStream)} and {@code files().download(path, OutputStream)} against the real server. */
class StreamedFilesEndToEndTest {
    private static final long SIZE = 24L << 20;
    private static WrennClient client;
    private static Capsule capsule;

    @BeforeAll
    static void up() {
        client = RealServer.client(RealServer.newTeamKey());
        capsule = Capsule.create(client, CreateCapsuleParams.defaults(), true);
    }

    @AfterAll
    static void down() {
        capsule.close();
        client.close();
    }

    /** Random bytes made as they are read, so the test holds none of the file; hashed on the way. */
    private static final class RandomStream extends InputStream {
        private final Random random = new Random(11);
        private final MessageDigest digest = Hashes.sha256();
        private long left;

        RandomStream(long size) {
            left = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) return -1;
            int n = (int) Math.min(len, left);
            byte[] chunk = new byte[n];
            random.nextBytes(chunk);
            System.arraycopy(chunk, 0, b, off, n);
            digest.update(chunk);
            left -= n;
            return n;
        }

        String sha256() {
            return HexFormat.of().formatHex(digest.digest());
        }
    }

    @Test
    void aFileOfManyMegabytesGoesUpAndComesBackByteForByte() {
        RandomStream source = new RandomStream(SIZE);
        capsule.files().upload("/tmp/streamed/big.bin", source);
        String sent = source.sha256();
        assertEquals(sent, capsule.commands().run("sha256sum /tmp/streamed/big.bin").stdout().substring(0, 64),
                "the file in the capsule, parent directory created");

        DigestOutputStream sink = new DigestOutputStream(OutputStream.nullOutputStream(), Hashes.sha256());
        assertEquals(SIZE, capsule.files().download("/tmp/streamed/big.bin", sink));
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
