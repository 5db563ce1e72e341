package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.host.storage.FileOps;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streamed files (api.md §6) through a server whose heap is smaller than the file: 320 MiB up and
 * down, checked by hash in the capsule and here, with the guest agent's memory measured before and
 * after. Nothing of the file may be held whole on any hop, or this server runs out of memory.
 */
class FileStreamTest {
    private static final long SIZE = 320L << 20;
    private static final String HEAP = "-Xmx200m";
    private static Path dataDir;
    private static Process server;
    private static Api api;

    @BeforeAll
    static void start() throws IOException {
        dataDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-big-");
        server = ServerProcess.launch(dataDir, null, dataDir.resolve("server.log"), HEAP);
        String[] ready = ServerProcess.awaitReady(server, dataDir.resolve("server.log"));
        api = new Api("http://127.0.0.1:" + ready[1], ready[2]);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (server != null) {
            server.destroy();
            server.waitFor();
        }
        FileOps.deleteTree(dataDir);
    }

    @Test
    void aFileLargerThanTheServersHeapStreamsUpAndDownIntactInBoundedMemory() throws Exception {
        String id = api.createRunning("{}");
        try {
            long agentBefore = agentPeakKib(id);

            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            HttpResponse<String> up = StreamedFiles.upload(api, id, "big.bin",
                    new DigestInputStream(new StreamedFiles.Pattern(SIZE), sent));
            assertEquals(204, up.statusCode(), up.body());
            String sentHash = HexFormat.of().formatHex(sent.digest());

            // the bytes read back below are the capsule's file: their hash is its hash (hashing it in the guest
            // as well would take as long again under TCG)
            JsonNode size = api.exec(id, "{\"cmd\":\"stat\",\"args\":[\"-c\",\"%s\",\"/root/big.bin\"]}").json();
            assertEquals(Long.toString(SIZE), size.get("stdout").asText().strip(), "the file in the capsule has another size");

            MessageDigest got = MessageDigest.getInstance("SHA-256");
            HttpResponse<InputStream> down = StreamedFiles.download(api, id, "/root/big.bin");
            assertEquals(200, down.statusCode());
            assertEquals("application/octet-stream", down.headers().firstValue("Content-Type").orElse(""));
            long n;
            try (InputStream in = new DigestInputStream(down.body(), got)) {
                n = in.transferTo(OutputStream.nullOutputStream());
            }
            assertEquals(SIZE, n);
            assertEquals(sentHash, HexFormat.of().formatHex(got.digest()), "the file read back differs");

            long agentAfter = agentPeakKib(id);
            assertTrue(agentAfter - agentBefore < 16 * 1024, "the guest agent's peak memory grew from " + agentBefore
                    + " KiB to " + agentAfter + " KiB moving a 512 MiB file");
            assertTrue(server.isAlive(), "the server process (" + HEAP + ") died");
        } finally {
            api.destroyQuietly(id);
        }
    }

    @Test
    void aMissingFileIsAJsonErrorAndATruncatedUploadIsRefused() throws Exception {
        String id = api.createRunning("{}");
        try {
            Api.Response missing = api.post("/capsules/" + id + "/files/stream/read", "{\"path\":\"/root/nope\"}");
            assertEquals(404, missing.status());
            assertEquals("not_found", missing.errorCode());
            String boundary = "b0";
            String cut = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\ncut.bin\r\n--" + boundary
                    + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\npartial bytes and then nothing";
            Api.Response r = api.send("POST", "/capsules/" + id + "/files/stream/write", "multipart/form-data; boundary=" + boundary,
                    cut.getBytes(StandardCharsets.US_ASCII));
            assertEquals(400, r.status(), r::toString);
            String left = api.exec(id, "{\"cmd\":\"ls\",\"args\":[\"-a\",\"/root\"]}").json().get("stdout").asText();
            assertTrue(!left.contains("cut.bin"), "a broken upload left a file behind: " + left);
            Api.Response wrongOrder = api.send("POST", "/capsules/" + id + "/files/stream/write",
                    "multipart/form-data; boundary=" + boundary, ("--" + boundary
                            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\ndata\r\n--" + boundary + "--\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            assertEquals(400, wrongOrder.status(), wrongOrder::toString);
            assertTrue(wrongOrder.message().contains("'path'"), wrongOrder::toString);
        } finally {
            api.destroyQuietly(id);
        }
    }

    /** The guest agent's peak resident memory (VmHWM of PID 1), in KiB. */
    private static long agentPeakKib(String id) {
        JsonNode r = api.exec(id, "{\"cmd\":\"awk\",\"args\":[\"/VmHWM/{print $2}\",\"/proc/1/status\"]}").json();
        return Long.parseLong(r.get("stdout").asText().strip());
    }
}
