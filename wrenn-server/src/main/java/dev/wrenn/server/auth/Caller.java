package dev.wrenn.server.auth;

import dev.wrenn.server.Ids;

/**
 * Who made a request and for which team: {@code principal} is the API key's id, or the signed-in
 * user's id for a session of the dashboard (the key's id for one opened with a key).
 */
public record Caller(String principal, String teamId) {
    /** Whether a signed-in user made the request (else an API key did, which acts with the whole team's rights). */
    public boolean isUser() {
        return Ids.USER.matches(principal);
    }
}
