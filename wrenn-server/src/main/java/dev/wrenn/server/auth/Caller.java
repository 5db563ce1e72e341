package dev.wrenn.server.auth;

/** Who made a request: the key it carried and that key's team. */
public record Caller(String keyId, String teamId) {
}
