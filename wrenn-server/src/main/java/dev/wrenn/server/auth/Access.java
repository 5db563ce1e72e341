package dev.wrenn.server.auth;

/** Who may call the API, as the HTTP layer needs it: API keys and teams, users, signed-in sessions. */
public record Access(Authenticator keys, KeyService teams, Accounts accounts, Sessions sessions) {
}
