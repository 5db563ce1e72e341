package dev.wrenn.server.auth;

/** A person who signs in to the dashboard; {@code passwordHash} as {@link PasswordHasher} makes it. */
public record User(String id, String email, String passwordHash, long createdAt) {
    @Override
    public String toString() {
        return "User[" + id + ", " + email + "]";   // never the hash, not even in a log
    }
}
