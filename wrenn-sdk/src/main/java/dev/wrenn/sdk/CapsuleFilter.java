package dev.wrenn.sdk;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which capsules a listing returns; the server filters. Empty parts match everything.
 *
 * <pre>{@code
 * client.capsules().list(CapsuleFilter.statuses(CapsuleStatus.RUNNING, CapsuleStatus.PAUSED).withMetadata("user", "42"));
 * }</pre>
 *
 * @param statuses the statuses to include; empty for every status
 * @param metadata pairs every listed capsule must carry; empty for no condition
 */
public record CapsuleFilter(Set<CapsuleStatus> statuses, Map<String, String> metadata) {
    /** Copies both, so the record stays immutable; refuses {@link CapsuleStatus#UNKNOWN}, which no server filters on. */
    public CapsuleFilter {
        statuses = statuses == null ? Set.of() : Set.copyOf(statuses);
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        if (statuses.contains(CapsuleStatus.UNKNOWN)) throw new IllegalArgumentException("cannot filter on status UNKNOWN");
    }

    /** {@return a filter that matches every capsule} */
    public static CapsuleFilter all() {
        return new CapsuleFilter(Set.of(), Map.of());
    }

    /**
     * A filter on status.
     *
     * @param statuses the statuses to include
     * @return the filter
     */
    public static CapsuleFilter statuses(CapsuleStatus... statuses) {
        return new CapsuleFilter(statuses.length == 0 ? Set.of() : EnumSet.copyOf(List.of(statuses)), Map.of());
    }

    /**
     * This filter, also requiring a metadata pair.
     *
     * @param key metadata key
     * @param value the value it must have
     * @return the narrower filter
     */
    public CapsuleFilter withMetadata(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(metadata);
        m.put(key, value);
        return new CapsuleFilter(statuses, m);
    }

    /** The query string of api.md §4, {@code ?status=a,b&metadata.k=v}, or empty. */
    String query() {
        StringBuilder q = new StringBuilder();
        if (!statuses.isEmpty()) {
            q.append("status=").append(statuses.stream().sorted().map(CapsuleStatus::wire).collect(Collectors.joining(",")));
        }
        metadata.forEach((k, v) -> q.append(q.isEmpty() ? "" : "&").append(encode("metadata." + k)).append('=').append(encode(v)));
        return q.isEmpty() ? "" : "?" + q;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
