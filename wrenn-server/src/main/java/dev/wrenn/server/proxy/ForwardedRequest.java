package dev.wrenn.server.proxy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Request;

/**
 * The head of a request as the proxy sends it on to the service: the client's method, target and
 * end-to-end fields; the traffic token removed; X-Forwarded-For/Proto/Host and Via added; the
 * body's framing stated anew. The client's Host is kept, so a service can build its own URLs.
 */
final class ForwardedRequest {
    static final String VIA = "1.1 wrenn";
    private static final List<String> REPLACED = List.of("host", "content-length", "expect", "via", "x-forwarded-for",
            "x-forwarded-proto", "x-forwarded-host", PortAccessCheck.TOKEN_HEADER.toLowerCase(Locale.ROOT));

    /** How the request's body goes to the service. */
    enum Body { NONE, LENGTH, CHUNKED }

    private final Request request;
    private final String upgrade;
    private final Body body;

    /** @param upgrade the protocol the client asks to switch to (an Upgrade request), else null */
    ForwardedRequest(Request request, String upgrade) {
        this.request = request;
        this.upgrade = upgrade;
        HttpFields h = request.getHeaders();
        if (request.getLength() >= 0 && h.contains("Content-Length")) body = request.getLength() == 0 ? Body.NONE : Body.LENGTH;
        else if (h.contains("Transfer-Encoding")) body = Body.CHUNKED;
        else body = Body.NONE;
    }

    Body body() {
        return body;
    }

    /** The token the client presented: the header's, else the query parameter's, else null. */
    static String presentedToken(Request request) {
        String header = request.getHeaders().get(PortAccessCheck.TOKEN_HEADER);
        if (header != null) return header;
        String query = request.getHttpURI().getQuery();
        if (query == null) return null;
        for (String pair : query.split("&")) {
            if (pair.startsWith(PortAccessCheck.TOKEN_PARAM + "=")) {
                return URLDecoder.decode(pair.substring(PortAccessCheck.TOKEN_PARAM.length() + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** Writes the head (not flushed). */
    void writeHead(OutputStream out) throws IOException {
        HttpFields h = request.getHeaders();
        StringBuilder sb = new StringBuilder(512);
        sb.append(request.getMethod()).append(' ').append(target(request.getHttpURI())).append(" HTTP/1.1\r\n");
        String host = h.get("Host");
        if (host != null) field(sb, "Host", host);
        HopByHop hop = HopByHop.of(h.getValuesList("Connection"));
        for (HttpField f : h) {
            String name = f.getName();
            if (hop.contains(name) || REPLACED.contains(name.toLowerCase(Locale.ROOT))) continue;
            field(sb, name, f.getValue());
        }
        StringJoiner forwardedFor = new StringJoiner(", ");
        h.getValuesList("X-Forwarded-For").forEach(forwardedFor::add);
        forwardedFor.add(Request.getRemoteAddr(request));
        field(sb, "X-Forwarded-For", forwardedFor.toString());
        field(sb, "X-Forwarded-Proto", request.isSecure() ? "https" : "http");
        if (host != null) field(sb, "X-Forwarded-Host", host);
        field(sb, "Via", via(h.getValuesList("Via")));
        switch (body) {
            case LENGTH -> field(sb, "Content-Length", Long.toString(request.getLength()));
            case CHUNKED -> field(sb, "Transfer-Encoding", "chunked");
            case NONE -> { }
        }
        if (upgrade != null) {
            field(sb, "Connection", "Upgrade");
            field(sb, "Upgrade", upgrade);
        }
        sb.append("\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Via with this proxy appended to what earlier hops wrote. */
    static String via(List<String> earlier) {
        return earlier.isEmpty() ? VIA : String.join(", ", earlier) + ", " + VIA;
    }

    /** Path and query as the client sent them, without the traffic token's parameter. */
    static String target(HttpURI uri) {
        String path = uri.getPath();
        if (path == null || path.isEmpty()) path = "/";
        String query = uri.getQuery();
        if (query == null) return path;
        StringJoiner kept = new StringJoiner("&");
        for (String pair : query.split("&", -1)) {
            if (!pair.equals(PortAccessCheck.TOKEN_PARAM) && !pair.startsWith(PortAccessCheck.TOKEN_PARAM + "=")) kept.add(pair);
        }
        return kept.length() == 0 && !query.isEmpty() ? path : path + "?" + kept;
    }

    private static void field(StringBuilder sb, String name, String value) {
        sb.append(name).append(": ").append(value).append("\r\n");
    }
}
