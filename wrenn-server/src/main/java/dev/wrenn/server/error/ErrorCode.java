package dev.wrenn.server.error;

/** The stable error codes of the API (api.md §1), each with the HTTP status it is answered with. */
public enum ErrorCode {
    INVALID_REQUEST(400, "invalid_request"),
    UNAUTHORIZED(401, "unauthorized"),
    FORBIDDEN(403, "forbidden"),
    NOT_FOUND(404, "not_found"),
    INVALID_STATE(409, "invalid_state"),
    CONFLICT(409, "conflict"),
    TEMPLATE_NAME_TAKEN(409, "template_name_taken"),
    NAME_RESERVED(409, "name_reserved"),
    TOO_LARGE(413, "too_large"),
    RATE_LIMITED(429, "rate_limited"),
    INTERNAL_ERROR(500, "internal_error"),
    AGENT_ERROR(502, "agent_error"),
    NO_CAPACITY(503, "no_capacity"),
    UNAVAILABLE(503, "unavailable"),
    HOST_UNAVAILABLE(503, "host_unavailable"),
    INSUFFICIENT_STORAGE(507, "insufficient_storage");

    private final int httpStatus;
    private final String code;

    ErrorCode(int httpStatus, String code) {
        this.httpStatus = httpStatus;
        this.code = code;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String code() {
        return code;
    }

    public static ErrorCode fromCode(String code) {
        for (ErrorCode c : values()) {
            if (c.code.equals(code)) return c;
        }
        throw new IllegalArgumentException("unknown error code " + code);
    }
}
