package dev.wrenn.server.capsule;

import java.util.Locale;

/** Who may reach a capsule's ports through the port proxy (api.md §9). */
public enum PortAccess {
    /** The URL is the secret: the capsule id is 128 random bits. */
    PUBLIC,
    /** Every request also carries the capsule's traffic token. */
    TOKEN;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the value when it is neither "public" nor "token" */
    public static PortAccess fromWire(String s) {
        for (PortAccess a : values()) {
            if (a.wire().equals(s)) return a;
        }
        throw new IllegalArgumentException("'" + s + "' is not one of public, token");
    }
}
