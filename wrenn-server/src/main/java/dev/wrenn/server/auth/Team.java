package dev.wrenn.server.auth;

/** Owner of capsules, snapshot templates and API keys. */
public record Team(String id, String name, long createdAt) {
    /** The team a fresh installation's first key belongs to. */
    public static final String DEFAULT_NAME = "default";
}
