package dev.wrenn.server.proxy;

/** Why a proxied request is answered by the proxy itself: an HTTP status and a plain-text message naming the cause. */
final class ProxyFailure extends RuntimeException {
    private final int status;

    ProxyFailure(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
