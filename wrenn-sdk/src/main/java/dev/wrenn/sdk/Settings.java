package dev.wrenn.sdk;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.UnaryOperator;

/** A client's configuration, checked once when the client is built. */
record Settings(String apiKey, URI baseUrl, Duration connectTimeout, Duration requestTimeout,
                Duration longOperationTimeout, int maxRetries, Duration retryInitialDelay, Duration retryMaxDelay,
                Executor executor) {
    static final String API_KEY_ENV = "WRENN_API_KEY";
    static final String BASE_URL_ENV = "WRENN_BASE_URL";
    static final String DEFAULT_BASE_URL = "http://localhost:8080/api";

    Settings {
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("no Wrenn API key: pass one to the client or set " + API_KEY_ENV);
        }
        positive(connectTimeout, "connectTimeout");
        positive(requestTimeout, "requestTimeout");
        positive(longOperationTimeout, "longOperationTimeout");
        positive(retryInitialDelay, "retryInitialDelay");
        positive(retryMaxDelay, "retryMaxDelay");
        if (maxRetries < 0) throw new IllegalArgumentException("maxRetries must be 0 or more, got " + maxRetries);
    }

    /** Never the key itself: settings may end up in a log. */
    @Override
    public String toString() {
        return "Settings[baseUrl=" + baseUrl + ", apiKey=" + apiKey.substring(0, Math.min(8, apiKey.length())) + "…, requestTimeout="
                + requestTimeout + ", longOperationTimeout=" + longOperationTimeout + ", maxRetries=" + maxRetries + "]";
    }

    /** The key and URL when the caller gave none: the environment's, then the default URL. */
    static String apiKeyOrEnv(String given, UnaryOperator<String> env) {
        return given != null ? given : env.apply(API_KEY_ENV);
    }

    static URI baseUrlOrEnv(String given, UnaryOperator<String> env) {
        String url = given != null ? given : env.apply(BASE_URL_ENV);
        return parseBaseUrl(url == null || url.isBlank() ? DEFAULT_BASE_URL : url);
    }

    static URI parseBaseUrl(String url) {
        URI uri;
        try {
            uri = URI.create(url.strip().replaceAll("/+$", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("base URL '" + url + "' is not a URL: " + e.getMessage(), e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException("base URL '" + url + "' must be http(s)://HOST[:PORT]/api");
        }
        return uri;
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
        }
    }
}
