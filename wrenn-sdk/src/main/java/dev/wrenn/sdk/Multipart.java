package dev.wrenn.sdk;

import java.io.FileNotFoundException;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The multipart/form-data body of a file upload: a text part {@code path} and a file part
 * {@code file}. The file's bytes are streamed from memory or disk, never copied into one buffer.
 */
final class Multipart {
    private final String boundary = "wrenn-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());

    String contentType() {
        return "multipart/form-data; boundary=" + boundary;
    }

    BodyPublisher upload(String path, BodyPublisher content) {
        String head = "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"path\"\r\n"
                + "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
                + path + "\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        return BodyPublishers.concat(BodyPublishers.ofByteArray(head.getBytes(StandardCharsets.UTF_8)), content,
                BodyPublishers.ofByteArray(tail.getBytes(StandardCharsets.US_ASCII)));
    }

    static BodyPublisher bytes(byte[] data) {
        return BodyPublishers.ofByteArray(data);
    }

    static BodyPublisher file(Path local) {
        try {
            return BodyPublishers.ofFile(local);
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("local file '" + local + "' does not exist or cannot be read", e);
        }
    }
}
