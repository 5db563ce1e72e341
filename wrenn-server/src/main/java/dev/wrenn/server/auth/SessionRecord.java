package dev.wrenn.server.auth;

/**
 * A signed-in browser, as stored: the team it acts for, and the user who signed in or the API key
 * it was opened with (one of the two is null). The cookie's secret is not here, only its hash.
 */
public record SessionRecord(String idHash, String teamId, String userId, String keyId, String csrfToken, long createdAt,
                            long expiresAt) {
    @Override
    public String toString() {
        return "SessionRecord[team " + teamId + ", user " + userId + ", key " + keyId + "]";
    }
}
