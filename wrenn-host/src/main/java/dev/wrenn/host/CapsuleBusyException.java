package dev.wrenn.host;

/** Another operation on the capsule is in flight, or its state does not allow this one. */
public class CapsuleBusyException extends IllegalStateException {
    public CapsuleBusyException(String message) {
        super(message);
    }
}
