package dev.wrenn.host.vmm;

/** A save failed because the file system it writes to has no room left. */
public final class DiskFullException extends VmmException {
    public DiskFullException(String message) {
        super(message);
    }
}
