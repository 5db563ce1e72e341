package dev.wrenn.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.List;

/** Streamed uploads and downloads for tests and benchmarks, with content made as it is read. */
public final class StreamedFiles {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String BOUNDARY = "wrenn-test-boundary";

    private StreamedFiles() {}

    /** POST files/stream/write of {@code content} (sent chunked, path part first); the answer. */
    public static HttpResponse<String> upload(Api api, String id, String path, InputStream content) {
        byte[] head = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n" + path + "\r\n--" + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        HttpRequest r = api.request("/capsules/" + id + "/files/stream/write")
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new SequenceInputStream(Collections.enumeration(
                        List.of(new ByteArrayInputStream(head), content, new ByteArrayInputStream(tail))))))
                .timeout(Duration.ofMinutes(10)).build();
        return send(r, HttpResponse.BodyHandlers.ofString());
    }

    /** POST files/stream/read: the answer, its body to be read as it arrives. */
    public static HttpResponse<InputStream> download(Api api, String id, String path) {
        HttpRequest r = api.request("/capsules/" + id + "/files/stream/read").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"path\":\"" + path + "\"}")).timeout(Duration.ofMinutes(10)).build();
        return send(r, HttpResponse.BodyHandlers.ofInputStream());
    }

    private static <T> HttpResponse<T> send(HttpRequest r, HttpResponse.BodyHandler<T> body) {
        try {
            return HTTP.send(r, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** {@code size} bytes of a deterministic pseudo-random pattern, made as they are read (never held whole). */
    public static class Pattern extends InputStream {
        private long left;
        private long x = 0x9E3779B97F4A7C15L;

        public Pattern(long size) {
            this.left = size;
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
            for (int i = 0; i < n; i += 8) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                for (int j = 0; j < 8 && i + j < n; j++) b[off + i + j] = (byte) (x >>> (8 * j));
            }
            left -= n;
            return n;
        }
    }
}
