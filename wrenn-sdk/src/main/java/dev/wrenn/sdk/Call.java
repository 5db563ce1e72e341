package dev.wrenn.sdk;

import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.time.Duration;

/**
 * One API request as the transport sends it, possibly several times.
 *
 * @param method HTTP method
 * @param path path under the base URL, starting with {@code /v1/}, segments already encoded
 * @param body a re-readable body (retries send it again), or null
 * @param contentType the body's type, or null
 * @param idempotent true when sending it twice is harmless: it may be retried
 * @param timeout how long the call may take in all; null for no limit
 */
record Call(String method, String path, BodyPublisher body, String contentType, boolean idempotent, Duration timeout) {
    static Call get(String path, Duration timeout) {
        return new Call("GET", path, null, null, true, timeout);
    }

    static Call delete(String path, Duration timeout) {
        return new Call("DELETE", path, null, null, true, timeout);
    }

    static Call post(String path, byte[] json, boolean idempotent, Duration timeout) {
        return new Call("POST", path, json == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(json),
                json == null ? null : "application/json", idempotent, timeout);
    }

    /** A JSON body that replaces a whole resource: sending it twice is harmless, so it may be retried. */
    static Call put(String path, byte[] json, Duration timeout) {
        return new Call("PUT", path, BodyPublishers.ofByteArray(json), "application/json", true, timeout);
    }

    /** How the call reads in messages: method and path. */
    String describe() {
        return method + " " + path;
    }
}
