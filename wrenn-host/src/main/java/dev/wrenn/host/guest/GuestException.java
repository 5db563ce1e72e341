package dev.wrenn.host.guest;

/**
 * The guest refused an operation with an errno (an ERROR frame): a missing file, an existing
 * directory, a full disk. {@link #code()} is the errno name, e.g. {@code ENOENT}.
 */
public class GuestException extends RuntimeException {
    private final String code;
    private final int errno;

    public GuestException(String code, int errno, String message) {
        super(message);
        this.code = code;
        this.errno = errno;
    }

    static GuestException from(Record error) {
        String code = error.string("code", "EIO");
        return new GuestException(code, (int) error.number("errno", 0),
                error.string("message", code));
    }

    public String code() {
        return code;
    }

    public int errno() {
        return errno;
    }
}
