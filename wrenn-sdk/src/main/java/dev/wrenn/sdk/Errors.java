package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Turns a failed response or a transport failure into the matching {@link WrennException}. */
final class Errors {
    private static final int MAX_BODY_IN_MESSAGE = 300;

    private Errors() {}

    static WrennException fromResponse(Call call, int status, HttpHeaders headers, byte[] body) {
        String requestId = headers.firstValue("X-Request-Id").orElse(null);
        String code = null;
        String message = null;
        JsonNode error = Json.parseOrMissing(body).path("error");
        if (error.isObject()) {
            code = error.path("code").asText(null);
            message = error.path("message").asText(null);
        }
        if (code == null) code = "http_" + status;
        if (message == null) message = "HTTP " + status + " from " + call.describe() + bodySnippet(body);
        return of(status, code, message, requestId, retryAfter(headers));
    }

    /**
     * The error frame of a stream ({@code {"type":"error","code",…}}), as the exception the same code
     * is elsewhere: a stream has no HTTP status of its own, so {@code statusCode()} is the one the API
     * answers that code with (409 for {@code capsule_paused}, 502 for {@code vm_exited}), 0 for a code
     * this SDK does not know.
     */
    static WrennException fromStreamError(String code, String message) {
        return of(statusOf(code), code, message, null, null);
    }

    private static int statusOf(String code) {
        return switch (code) {
            case "invalid_request" -> 400;
            case "unauthorized" -> 401;
            case "forbidden" -> 403;
            case "not_found" -> 404;
            case "invalid_state", "conflict", "capsule_paused" -> 409;
            case "too_large" -> 413;
            case "rate_limited" -> 429;
            case "internal_error" -> 500;
            case "agent_error", "vm_exited" -> 502;
            case "no_capacity", "host_unavailable", "unavailable" -> 503;
            case "insufficient_storage" -> 507;
            default -> 0;
        };
    }

    private static WrennException of(int status, String code, String message, String requestId, Duration retryAfter) {
        return switch (status) {
            case 400, 413 -> new WrennValidationException(status, code, message, requestId);
            case 401 -> new WrennAuthenticationException(status, code, message, requestId);
            case 403 -> new WrennForbiddenException(status, code, message, requestId);
            case 404 -> new WrennNotFoundException(status, code, message, requestId);
            case 409 -> new WrennConflictException(status, code, message, requestId);
            case 429 -> new WrennRateLimitException(code, message, requestId, retryAfter);
            case 502 -> new WrennAgentException(status, code, message, requestId);
            case 503 -> new WrennNoCapacityException(status, code, message, requestId, retryAfter);
            default -> status >= 500 ? new WrennServerException(status, code, message, requestId)
                    : new WrennException(status, code, message, requestId, null);
        };
    }

    static WrennException fromTransport(Call call, URI url, Throwable failure) {
        Throwable t = Futures.unwrap(failure);
        if (t instanceof WrennException w) return w;
        if (t instanceof HttpConnectTimeoutException) {
            return new WrennConnectionException("could not connect to " + origin(url) + " in time (" + call.describe() + ")", t);
        }
        if (t instanceof HttpTimeoutException) {
            return new WrennTimeoutException(call.describe() + " got no answer within " + Durations.readable(call.timeout())
                    + "; the operation may still complete on the server", t);
        }
        if (t instanceof ConnectException) {
            return new WrennConnectionException("could not connect to " + origin(url) + ": connection refused ("
                    + call.describe() + "); is the Wrenn server running there?", t);
        }
        if (t instanceof IOException) {
            return new WrennConnectionException(call.describe() + " to " + origin(url) + " failed: "
                    + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage()), t);
        }
        return new WrennException(0, "client_error", call.describe() + " failed: " + t, null, t);
    }

    /** Retry-After as seconds or as an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(HttpHeaders headers) {
        String v = headers.firstValue("Retry-After").orElse(null);
        if (v == null || v.isBlank()) return null;
        v = v.strip();
        try {
            long s = Long.parseLong(v);
            return s < 0 ? null : Duration.ofSeconds(s);
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(Instant.now(), at);
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException notDate) {
                return null;
            }
        }
    }

    private static String origin(URI url) {
        return url.getScheme() + "://" + url.getAuthority();
    }

    private static String bodySnippet(byte[] body) {
        if (body == null || body.length == 0) return "";
        String s = new String(body, 0, Math.min(body.length, MAX_BODY_IN_MESSAGE), StandardCharsets.UTF_8).strip();
        return s.isEmpty() ? "" : ": " + s.replaceAll("\\s+", " ");
    }
}
