package dev.wrenn.server.auth;

import dev.wrenn.server.error.ApiException;

/** A user's place in a team. */
public record Membership(Team team, String userId, Role role) {
    /** An owner manages the team's members; both use everything else of the team alike. */
    public enum Role {
        OWNER, MEMBER;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The role named {@code s} (any case); 400 naming it otherwise. */
        public static Role fromWire(String s) {
            for (Role r : values()) if (r.wire().equalsIgnoreCase(s)) return r;
            throw ApiException.invalid("role must be owner or member, not '" + s + "'");
        }
    }
}
