package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where a client's key and URL come from, and how a wrong setting is refused. */
class SettingsTest {
    private static ClientBuilder<WrennClient> withEnv(Map<String, String> env) {
        return WrennClient.builder().environment(env::get);
    }

    @Test
    void withoutAnyKeyTheClientRefusesToStartNamingTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> withEnv(Map.of()).build());
        assertTrue(e.getMessage().contains("WRENN_API_KEY"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> withEnv(Map.of("WRENN_API_KEY", " ")).build());
    }

    @Test
    void keyAndUrlComeFromTheEnvironmentUnlessGiven() {
        Settings fromEnv = withEnv(Map.of("WRENN_API_KEY", "wrn_env", "WRENN_BASE_URL", "https://w.example.com/api/")).settings();
        assertEquals("wrn_env", fromEnv.apiKey());
        assertEquals("https://w.example.com/api", fromEnv.baseUrl().toString());

        Settings given = withEnv(Map.of("WRENN_API_KEY", "wrn_env")).apiKey("wrn_given").settings();
        assertEquals("wrn_given", given.apiKey());
        assertEquals("http://localhost:8080/api", given.baseUrl().toString());
    }

    @Test
    void badSettingsAreRefusedNamingTheValue() {
        var b = withEnv(Map.of("WRENN_API_KEY", "wrn_x"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.baseUrl("ftp://host/api").settings())
                .getMessage().contains("ftp://host/api"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.baseUrl("localhost:8080").settings())
                .getMessage().contains("localhost:8080"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> withEnv(Map.of("WRENN_API_KEY", "wrn_x")).maxRetries(-1).settings()).getMessage().contains("-1"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> withEnv(Map.of("WRENN_API_KEY", "wrn_x")).requestTimeout(java.time.Duration.ZERO).settings())
                .getMessage().contains("requestTimeout"));
    }

    @Test
    void settingsNeverPrintTheWholeKey() {
        String key = "wrn_0123456789abcdef0123456789abcdef";
        String printed = withEnv(Map.of()).apiKey(key).settings().toString();
        assertTrue(!printed.contains(key) && printed.contains("wrn_0123"), printed);
    }
}
