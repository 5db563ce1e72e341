package dev.wrenn.host.vmm;

/** A saved state whose VMM or device layout this host cannot restore (made by another driver or version). */
public final class UnsupportedLayoutException extends VmmException {
    public UnsupportedLayoutException(String message) {
        super(message);
    }
}
