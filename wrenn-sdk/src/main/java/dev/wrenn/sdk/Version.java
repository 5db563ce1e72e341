package dev.wrenn.sdk;

/** The SDK's version, sent in the User-Agent header. */
final class Version {
    static final String SDK = "0.1.0";

    private Version() {}
}
