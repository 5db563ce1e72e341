package dev.wrenn.server.proxy;

import dev.wrenn.server.Ids;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells port URLs ({@code {port}-{capsule id}.{proxy domain}}) from the API's own host names by
 * the Host header. Without a configured domain the first label decides, under any name, so that
 * {@code 8000-cl-….localhost:8080} works with no DNS set up while {@code localhost:8080} stays the API.
 */
final class PortHosts {
    /** What claims a request for the proxy: a first label of digits, a dash and the capsule id prefix. */
    private static final Pattern PORT_LABEL = Pattern.compile("(\\d+)-(" + Pattern.quote(Ids.CAPSULE.prefix()) + ".*)");
    private static final Pattern CANONICAL_PORT = Pattern.compile("[1-9]\\d{0,4}");

    private final String domain;

    /** @param domain the proxy domain, lower case; null = any */
    PortHosts(String domain) {
        this.domain = domain;
    }

    /**
     * The port a Host header names, or empty when the request is for the API.
     *
     * @throws ProxyFailure 400 naming the label when it is meant as a port URL but is not a valid one
     */
    Optional<PortRoute> route(String hostHeader) {
        if (hostHeader == null || hostHeader.startsWith("[")) return Optional.empty();
        String host = stripPort(hostHeader).toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) host = host.substring(0, host.length() - 1);
        String label;
        if (domain == null) {
            int dot = host.indexOf('.');
            label = dot < 0 ? host : host.substring(0, dot);
            if (!PORT_LABEL.matcher(label).matches()) return Optional.empty();
        } else {
            if (!host.endsWith("." + domain)) return Optional.empty();
            label = host.substring(0, host.length() - domain.length() - 1);
        }
        Matcher m = PORT_LABEL.matcher(label);
        if (!m.matches()) {
            throw new ProxyFailure(400, "'" + abbreviate(host) + "' is not a port URL's host: expected {port}-{capsule id}."
                    + domain + ", like 8000-cl-0123456789abcdefghijklmno." + domain);
        }
        String port = m.group(1);
        if (!CANONICAL_PORT.matcher(port).matches() || Integer.parseInt(port) > 65535) {
            throw new ProxyFailure(400, "port '" + abbreviate(port) + "' in host '" + abbreviate(host) + "' is not within 1..65535");
        }
        String id = m.group(2);
        if (!Ids.CAPSULE.matches(id)) {
            throw new ProxyFailure(400, "'" + abbreviate(id) + "' in host '" + abbreviate(host)
                    + "' is not a capsule id: expected cl- and 25 of [0-9a-z]");
        }
        return Optional.of(new PortRoute(Integer.parseInt(port), id));
    }

    private static String stripPort(String host) {
        int colon = host.lastIndexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    private static String abbreviate(String s) {
        return s.length() <= 100 ? s : s.substring(0, 97) + "...";
    }
}
