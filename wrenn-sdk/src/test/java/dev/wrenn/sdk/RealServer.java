package dev.wrenn.sdk;

import dev.wrenn.server.TestServer;
import java.time.Duration;

/** The real Wrenn server of this test JVM (real capsules), and SDK clients for a new team on it. */
final class RealServer {
    private RealServer() {}

    /** A key of a new team, after the built-in templates are ready. */
    static String newTeamKey() {
        TestServer.awaitTemplates();
        return TestServer.newTeam().key();
    }

    static String baseUrl() {
        return TestServer.baseUrl() + "/api";
    }

    static WrennClient client(String key) {
        return WrennClient.builder().apiKey(key).baseUrl(baseUrl()).longOperationTimeout(Duration.ofMinutes(2)).build();
    }

    static AsyncWrennClient asyncClient(String key) {
        return AsyncWrennClient.builder().apiKey(key).baseUrl(baseUrl()).longOperationTimeout(Duration.ofMinutes(2)).build();
    }
}
