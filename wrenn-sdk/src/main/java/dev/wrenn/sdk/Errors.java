package dev.wrenn.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpResponse;
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

    static WrennException fromResponse(Call call, HttpResponse<byte[]> response) {
        int status = response.statusCode();
        String requestId = response.headers().firstValue("X-Request-Id").orElse(null);
        String code = null;
        String message = null;
        JsonNode error = Json.parseOrMissing(response.body()).path("error");
        if (error.isObject()) {
            code = error.path("code").asText(null);
            message = error.path("message").asText(null);
        }
        if (code == null) code = "http_" + status;
        if (message == null) message = "HTTP " + status + " from " + call.describe() + bodySnippet(response.body());
        return switch (status) {
            case 400, 413 -> new WrennValidationException(status, code, message, requestId);
            case 401 -> new WrennAuthenticationException(status, code, message, requestId);
            case 403 -> new WrennForbiddenException(status, code, message, requestId);
            case 404 -> new WrennNotFoundException(status, code, message, requestId);
            case 409 -> new WrennConflictException(status, code, message, requestId);
            case 429 -> new WrennRateLimitException(code, message, requestId, retryAfter(response));
            case 502 -> new WrennAgentException(status, code, message, requestId);
            case 503 -> new WrennNoCapacityException(status, code, message, requestId);
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
    static Duration retryAfter(HttpResponse<?> response) {
        String v = response.headers().firstValue("Retry-After").orElse(null);
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
