package dev.wrenn.host;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.guest.ChannelClosedException;
import dev.wrenn.host.guest.GuestException;
import dev.wrenn.host.guest.GuestProtocolException;
import dev.wrenn.host.guest.GuestTimeoutException;
import dev.wrenn.host.vmm.DiskFullException;
import dev.wrenn.host.vmm.QmpException;
import dev.wrenn.host.vmm.UnsupportedLayoutException;
import dev.wrenn.host.vmm.VmmException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/**
 * The edge of the host: whatever fails inside (the guest's errnos, the VMM, the file system) leaves
 * as a {@link HostException} with a {@link HostError}. The only place that knows both vocabularies.
 */
final class HostErrors {
    /** What the C library says for ENOSPC; Java reports a full disk only as this text. */
    private static final String NO_SPACE = "No space left on device";

    private HostErrors() {}

    static <T> T translate(Supplier<T> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    static void translate(Runnable call) {
        translate(() -> {
            call.run();
            return null;
        });
    }

    static HostException translate(RuntimeException e) {
        return switch (e) {
            case HostException h -> h;
            case GuestException g -> new HostException(guest(g.code()), g.getMessage(), g);
            case ChannelClosedException c -> new HostException(c.reason(), c.getMessage(), c);
            case GuestTimeoutException t -> new HostException(HostError.TIMEOUT, t.getMessage(), t);
            case GuestProtocolException p -> new HostException(HostError.AGENT_FAILURE,
                    "the guest agent did not answer properly: " + p.getMessage(), p);
            case UncheckedIOException io when isDiskFull(io) -> new HostException(HostError.DISK_FULL,
                    "the host's disk is full: " + io.getMessage(), io);
            case DiskFullException full -> new HostException(HostError.DISK_FULL, "the host's disk is full: " + full.getMessage(), full);
            case QmpException q when isDiskFull(q) -> new HostException(HostError.DISK_FULL,
                    "the host's disk is full: " + q.getMessage(), q);
            case IllegalArgumentException bad -> new HostException(HostError.INVALID_ARGUMENT, bad.getMessage(), bad);
            case UnsupportedLayoutException u -> new HostException(HostError.INVALID_STATE, u.getMessage(), u);
            case QmpException q -> new HostException(HostError.HOST_FAILURE, q.getMessage(), q);
            case VmmException v -> new HostException(HostError.HOST_FAILURE, v.getMessage(), v);
            case UncheckedIOException io -> new HostException(HostError.HOST_FAILURE, io.getMessage(), io);
            default -> new HostException(HostError.HOST_FAILURE, e.toString(), e);
        };
    }

    static HostException io(String what, IOException e) {
        return new HostException(isDiskFull(e) ? HostError.DISK_FULL : HostError.HOST_FAILURE,
                what + ": " + e.getMessage(), e);
    }

    /** An errno name from the guest agent (docs/guest-protocol.md §3 ERROR). */
    static HostError guest(String errno) {
        return switch (errno) {
            case "ENOENT", "ESRCH" -> HostError.NOT_FOUND;
            case "EEXIST", "ENOTEMPTY" -> HostError.ALREADY_EXISTS;
            case "ENOTDIR", "EISDIR", "EINVAL", "ENAMETOOLONG", "E2BIG", "ELOOP" -> HostError.INVALID_ARGUMENT;
            case "EACCES", "EPERM", "EROFS" -> HostError.PERMISSION_DENIED;
            case "ENOSPC", "EDQUOT" -> HostError.DISK_FULL;
            case "EBUSY" -> HostError.GUEST_BUSY;
            default -> HostError.AGENT_FAILURE;
        };
    }

    private static boolean isDiskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(NO_SPACE)) return true;
        }
        return false;
    }

    static HostException notFound(String message) {
        return new HostException(HostError.NOT_FOUND, message);
    }

    static HostException invalidArgument(String message) {
        return new HostException(HostError.INVALID_ARGUMENT, message);
    }

    static HostException invalidState(String message) {
        return new HostException(HostError.INVALID_STATE, message);
    }
}
