package dev.wrenn.host.vmm;

/** The VMM failed an operation: it would not start, a save or restore failed, it died. */
public class VmmException extends RuntimeException {
    public VmmException(String message) {
        super(message);
    }

    public VmmException(String message, Throwable cause) {
        super(message, cause);
    }
}
