package dev.wrenn.sdk;

import java.util.Locale;

/**
 * Who may reach a capsule's ports through the server's port proxy (api.md §9). A value this SDK
 * does not know yet reads as {@link #UNKNOWN}.
 */
public enum PortAccess {
    /** Anyone with the URL: the capsule id in it is 128 random bits. */
    PUBLIC,
    /** Requests must carry the capsule's traffic token ({@link CapsuleInfo#trafficToken()}). */
    TOKEN,
    /** A value added to the API after this SDK. */
    UNKNOWN;

    /** {@return the value as the API spells it, e.g. {@code token}} */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads the API's spelling.
     *
     * @param wire the value as the API writes it; null or unrecognized gives {@link #UNKNOWN}
     * @return the access
     */
    public static PortAccess fromWire(String wire) {
        for (PortAccess a : values()) {
            if (a != UNKNOWN && a.wire().equals(wire)) return a;
        }
        return UNKNOWN;
    }

    @Override
    public String toString() {
        return wire();
    }
}
