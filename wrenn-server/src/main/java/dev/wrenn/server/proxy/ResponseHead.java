package dev.wrenn.server.proxy;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The status line and header fields of a service's answer (RFC 9112 §4, §5), and how its body is
 * framed. Field values are kept as received (ISO-8859-1), names in their original case.
 */
record ResponseHead(boolean http11, int status, String reason, List<Field> fields) {
    private static final int MAX_LINE = 16 << 10;
    private static final int MAX_FIELDS = 200;

    record Field(String name, String value) {}

    /** How the body after the head ends (RFC 9112 §6.3). */
    enum Framing { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

    /**
     * Reads one head.
     *
     * @throws EOFException when the connection ended before the first byte (a closed idle connection)
     * @throws BadResponse  when it is not HTTP/1.x
     */
    static ResponseHead read(InputStream in) throws IOException {
        String status = line(in, true);
        if (!status.startsWith("HTTP/1.") || status.length() < 12 || status.charAt(8) != ' ') {
            throw new BadResponse("the service did not answer with HTTP/1.x: '" + abbreviate(status) + "'");
        }
        int code;
        try {
            code = Integer.parseInt(status.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new BadResponse("the service answered with a malformed status line: '" + abbreviate(status) + "'");
        }
        List<Field> fields = new ArrayList<>();
        for (String l = line(in, false); !l.isEmpty(); l = line(in, false)) {
            int colon = l.indexOf(':');
            if (colon <= 0 || fields.size() >= MAX_FIELDS || Character.isWhitespace(l.charAt(0))) {
                throw new BadResponse("the service sent a malformed header field: '" + abbreviate(l) + "'");
            }
            fields.add(new Field(l.substring(0, colon), l.substring(colon + 1).strip()));
        }
        return new ResponseHead(status.charAt(7) == '1', code, status.length() > 13 ? status.substring(13) : "", fields);
    }

    List<String> values(String name) {
        return fields.stream().filter(f -> f.name().equalsIgnoreCase(name)).map(Field::value).toList();
    }

    /** The body's framing, for an answer to a request with {@code method}. */
    Framing framing(String method) throws BadResponse {
        if (method.equals("HEAD") || status < 200 || status == 204 || status == 304) return Framing.NONE;
        List<String> te = values("Transfer-Encoding");
        if (!te.isEmpty()) {
            String last = te.get(te.size() - 1).toLowerCase(Locale.ROOT);
            return last.strip().endsWith("chunked") ? Framing.CHUNKED : Framing.UNTIL_CLOSE;
        }
        return contentLength() >= 0 ? Framing.LENGTH : Framing.UNTIL_CLOSE;
    }

    /** The Content-Length, -1 when there is none. */
    long contentLength() throws BadResponse {
        List<String> cl = values("Content-Length");
        if (cl.isEmpty()) return -1;
        long n = -1;
        for (String v : cl) {
            for (String part : v.split(",")) {
                long parsed;
                try {
                    parsed = Long.parseLong(part.strip());
                } catch (NumberFormatException e) {
                    throw new BadResponse("the service sent Content-Length '" + abbreviate(v) + "'");
                }
                if (parsed < 0 || (n >= 0 && parsed != n)) throw new BadResponse("the service sent Content-Length '" + abbreviate(v) + "'");
                n = parsed;
            }
        }
        return n;
    }

    /** Whether the connection may carry another request after this answer's body. */
    boolean keepsConnection() {
        return http11 && !HopByHop.names(values("Connection"), "close");
    }

    /** One line without its CRLF (a bare LF is accepted). */
    static String line(InputStream in, boolean first) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (first && sb.isEmpty()) throw new EOFException("the connection closed before an answer");
                throw new BadResponse("the service's answer ended in the middle of its head");
            }
            if (b == '\n') break;
            if (sb.length() >= MAX_LINE) throw new BadResponse("the service sent a header line over " + (MAX_LINE >> 10) + " KiB");
            sb.append((char) b);
        }
        int end = sb.length();
        if (end > 0 && sb.charAt(end - 1) == '\r') sb.setLength(end - 1);
        return sb.toString();
    }

    private static String abbreviate(String s) {
        String printable = new String(s.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.US_ASCII);
        return printable.length() <= 80 ? printable : printable.substring(0, 77) + "...";
    }

    /** The service answered, but not with HTTP the proxy can forward (502). */
    static final class BadResponse extends IOException {
        BadResponse(String message) {
            super(message);
        }
    }
}
