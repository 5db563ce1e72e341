package dev.wrenn.host.vmm;

/** QEMU refused a QMP command, or the QMP connection failed or timed out. */
public class QmpException extends RuntimeException {
    public QmpException(String message) {
        super(message);
    }

    public QmpException(String message, Throwable cause) {
        super(message, cause);
    }
}
