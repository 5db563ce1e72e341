package dev.wrenn.server.api;

import dev.wrenn.server.error.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A multipart/form-data body read as a stream, part after part, in a buffer of fixed size: a part's
 * bytes are handed on as they arrive, so a body of any size passes through in bounded memory
 * (files/stream/write). Parts must be read in order; each part's stream ends at its boundary.
 */
final class MultipartReader {
    private static final int BUFFER = 64 * 1024;
    private static final int MAX_HEADERS = 16 * 1024;
    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(?:\"([^\"]{1,70})\"|([^;\\s]{1,70}))");
    private static final Pattern NAME = Pattern.compile("(?i);\\s*name=\"([^\"]*)\"");
    private static final Pattern FILENAME = Pattern.compile("(?i);\\s*filename=\"([^\"]*)\"");

    /** One part: its form field name, its file name (null for a text field) and its bytes. */
    record Part(String name, String filename, InputStream body) {}

    private final InputStream in;
    private final byte[] delimiter;
    private final byte[] buf = new byte[BUFFER];
    private int start;
    private int end;
    private boolean eof;
    private boolean finished;
    private PartStream current;

    /** {@code contentType}: the request's, whose boundary parameter is required (else 400). */
    MultipartReader(InputStream in, String contentType) {
        Matcher m = BOUNDARY.matcher(contentType == null ? "" : contentType);
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data") || !m.find()) {
            throw ApiException.invalid("the body must be multipart/form-data with a boundary, not '"
                    + Params.abbreviate(contentType) + "'");
        }
        String boundary = m.group(1) != null ? m.group(1) : m.group(2);
        this.in = in;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        // the first boundary has no line break before it: pretend there was one
        buf[0] = '\r';
        buf[1] = '\n';
        end = 2;
    }

    /** The next part, or null after the closing boundary. The previous part's unread bytes are skipped. */
    Part next() throws IOException {
        if (finished) return null;
        if (current != null) current.skipRest();
        else new PartStream().skipRest();   // the preamble before the first boundary
        fill(2);
        if (end - start < 2) throw truncated();
        if (buf[start] == '-' && buf[start + 1] == '-') {
            finished = true;
            return null;
        }
        if (buf[start] != '\r' || buf[start + 1] != '\n') throw ApiException.invalid("malformed multipart boundary line");
        start += 2;
        String headers = readHeaders();
        Matcher name = NAME.matcher(headers);
        if (!name.find()) throw ApiException.invalid("a multipart part has no Content-Disposition name");
        Matcher filename = FILENAME.matcher(headers);
        current = new PartStream();
        return new Part(name.group(1), filename.find() ? filename.group(1) : null, current);
    }

    /** A text part's value, at most {@code max} bytes (else 400 naming the field). */
    static String text(Part p, int max) throws IOException {
        byte[] v = p.body().readNBytes(max + 1);
        if (v.length > max) throw ApiException.invalid("the part '" + p.name() + "' is longer than " + max + " bytes");
        return new String(v, StandardCharsets.UTF_8);
    }

    private String readHeaders() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            fill(4);
            int i = indexOf(new byte[] {'\r', '\n', '\r', '\n'}, start, end);
            if (i >= 0) {
                sb.append(new String(buf, start, i - start, StandardCharsets.UTF_8));
                start = i + 4;
                return sb.toString();
            }
            if (eof) throw truncated();
            int take = Math.max(0, end - start - 3);
            sb.append(new String(buf, start, take, StandardCharsets.UTF_8));
            start += take;
            if (sb.length() > MAX_HEADERS) throw ApiException.invalid("the headers of a multipart part exceed " + MAX_HEADERS + " bytes");
        }
    }

    /** Reads until at least {@code want} bytes are buffered, or the body ended. */
    private void fill(int want) throws IOException {
        if (end - start >= want || eof) return;
        if (start > 0) {
            System.arraycopy(buf, start, buf, 0, end - start);
            end -= start;
            start = 0;
        }
        while (end - start < want && !eof) {
            int n = in.read(buf, end, buf.length - end);
            if (n < 0) eof = true;
            else end += n;
        }
    }

    private int indexOf(byte[] needle, int from, int to) {
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }

    private static ApiException truncated() {
        return ApiException.invalid("the multipart body ended before its closing boundary");
    }

    /** A part's bytes up to the next delimiter; the delimiter itself is consumed when the part ends. */
    private final class PartStream extends InputStream {
        private boolean done;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) return -1;
            if (len == 0) return 0;
            while (true) {
                fill(delimiter.length);
                int at = indexOf(delimiter, start, end);
                int available;
                if (at >= 0) {
                    available = at - start;
                    if (available == 0) {
                        start += delimiter.length;
                        done = true;
                        return -1;
                    }
                } else if (eof) {
                    throw ApiException.invalid("the multipart body ended inside a part (no closing boundary)");
                } else {
                    // the tail could be the start of a delimiter: keep it until more arrives
                    available = end - start - (delimiter.length - 1);
                    if (available <= 0) {
                        fillMore();
                        continue;
                    }
                }
                int n = Math.min(len, available);
                System.arraycopy(buf, start, b, off, n);
                start += n;
                return n;
            }
        }

        /** The buffer holds less than a delimiter's worth beyond what is safe: read on. */
        private void fillMore() throws IOException {
            fill(end - start + 1);
        }

        void skipRest() throws IOException {
            byte[] sink = new byte[8192];
            while (read(sink, 0, sink.length) >= 0) {
                // discard
            }
        }
    }
}
