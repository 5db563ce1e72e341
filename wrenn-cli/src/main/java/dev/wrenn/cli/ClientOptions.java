package dev.wrenn.cli;

import dev.wrenn.sdk.WrennClient;
import picocli.CommandLine.Option;

/** The options every client command shares: which server, which key, and how to print. */
final class ClientOptions {
    static final String API_KEY_ENV = "WRENN_API_KEY";
    static final String BASE_URL_ENV = "WRENN_BASE_URL";
    static final String DEFAULT_BASE_URL = "http://localhost:8080/api";

    private final CliEnvironment environment;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "API key (default: env " + API_KEY_ENV + "; prefer the variable: options show in ps).")
    String apiKey;

    @Option(names = "--base-url", paramLabel = "URL",
            description = "The API's base URL (default: env " + BASE_URL_ENV + ", else " + DEFAULT_BASE_URL + ").")
    String baseUrl;

    @Option(names = "--json", description = "Print JSON with the API's field names, for scripts.")
    boolean json;

    ClientOptions(CliEnvironment environment) {
        this.environment = environment;
    }

    /**
     * A client for one command. The key and URL are resolved here rather than left to the SDK's own
     * environment fallback, so they come from the injected environment and the error names the option too.
     */
    WrennClient client() {
        String key = apiKey != null ? apiKey : environment.variable(API_KEY_ENV);
        if (key == null || key.isBlank()) {
            throw new CliException("no API key: pass --api-key or set " + API_KEY_ENV);
        }
        String url = baseUrl != null ? baseUrl : environment.variable(BASE_URL_ENV);
        return WrennClient.builder().apiKey(key).baseUrl(url != null ? url : DEFAULT_BASE_URL).build();
    }

    boolean json() {
        return json;
    }

    CliEnvironment environment() {
        return environment;
    }
}
