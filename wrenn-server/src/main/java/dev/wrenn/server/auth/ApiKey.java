package dev.wrenn.server.auth;

/** An API key as stored: only a hash of the secret is kept. Times are epoch milliseconds. */
public record ApiKey(String id, String teamId, String name, String keyHash, String keyPrefix, long createdAt,
                     Long lastUsedAt, Long revokedAt) {
}
