package dev.wrenn.host;

/** No capsule or template of that name on this host. */
public class NotFoundException extends RuntimeException {
    public NotFoundException(String message) {
        super(message);
    }
}
