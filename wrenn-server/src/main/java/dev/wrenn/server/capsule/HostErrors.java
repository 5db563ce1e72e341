package dev.wrenn.server.capsule;

import dev.wrenn.host.CapsuleBusyException;
import dev.wrenn.host.NotFoundException;
import dev.wrenn.host.TemplateConflictException;
import dev.wrenn.host.guest.GuestException;
import dev.wrenn.host.guest.GuestProtocolException;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import java.io.UncheckedIOException;
import java.time.Duration;

/** Turns what the host agent throws into the API's errors (design: host exceptions → codes). */
public final class HostErrors {
    private HostErrors() {}

    public static ApiException map(RuntimeException e, String what) {
        return switch (e) {
            case ApiException api -> api;
            case NotFoundException nf -> ApiException.notFound(nf.getMessage());
            case CapsuleBusyException busy -> ApiException.invalidState(busy.getMessage());
            case TemplateConflictException tc -> new ApiException(
                    "forbidden".equals(tc.code()) ? ErrorCode.FORBIDDEN : ErrorCode.fromCode(tc.code()), tc.getMessage());
            case GuestException ge -> guest(ge, what);
            case GuestProtocolException gp -> ApiException.agent(what + " failed: the guest agent did not answer properly ("
                    + gp.getMessage() + ")", gp);
            case UncheckedIOException io when isDiskFull(io) -> new ApiException(ErrorCode.INSUFFICIENT_STORAGE,
                    what + " failed: the host's disk is full", io);
            case IllegalArgumentException bad -> ApiException.invalid(bad.getMessage());
            default -> ApiException.agent(what + " failed: " + e.getMessage(), e);
        };
    }

    /** An errno from the guest: the caller's mistake (4xx) unless the guest itself is in trouble. */
    public static ApiException guest(GuestException e, String what) {
        String msg = what + ": " + e.getMessage();
        return switch (e.code()) {
            case "ENOENT" -> ApiException.notFound(msg);
            case "EEXIST", "ENOTEMPTY" -> new ApiException(ErrorCode.CONFLICT, msg);
            case "ESRCH" -> ApiException.notFound(msg);
            case "ENOTDIR", "EISDIR", "EINVAL", "ENAMETOOLONG", "E2BIG", "ELOOP" -> ApiException.invalid(msg);
            case "EACCES", "EPERM", "EROFS" -> new ApiException(ErrorCode.FORBIDDEN, msg);
            case "ENOSPC", "EDQUOT" -> new ApiException(ErrorCode.INSUFFICIENT_STORAGE, msg);
            case "EBUSY" -> ApiException.rateLimited(msg + " (too many concurrent requests in the capsule)",
                    Duration.ofSeconds(1));
            default -> ApiException.agent(msg + " (" + e.code() + ")", e);
        };
    }

    private static boolean isDiskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("ENOSPC"))) return true;
        }
        return false;
    }
}
