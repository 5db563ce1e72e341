package dev.wrenn.sdk;

/**
 * The client behind {@link Capsule}'s static forms: one per process, configured from the
 * environment on first use, kept for the life of the JVM (its threads are daemons).
 */
final class DefaultClient {
    private static volatile WrennClient client;

    private DefaultClient() {}

    static WrennClient get() {
        WrennClient c = client;
        if (c == null) {
            synchronized (DefaultClient.class) {
                c = client;
                if (c == null) client = c = new WrennClient();
            }
        }
        return c;
    }
}
