package dev.wrenn.server.api;

import dev.wrenn.server.Ids;
import dev.wrenn.server.error.ApiException;
import io.javalin.http.Context;
import java.util.Locale;
import java.util.regex.Pattern;

/** Path and query parameters, validated: a value that does not parse is 400 naming it. */
final class Params {
    static final Pattern TAG = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}");
    private static final int MAX_PATH = 4096;

    private Params() {}

    static String capsuleId(Context ctx) {
        String id = ctx.pathParam("id");
        if (!Ids.CAPSULE.matches(id)) {
            throw ApiException.invalid("'" + abbreviate(id) + "' is not a capsule id: expected cl- and 25 of [0-9a-z]");
        }
        return id;
    }

    /** A process named by its pid (digits) or its tag (api.md §6). */
    static String processTarget(String target) {
        boolean pid = !target.isEmpty() && target.chars().allMatch(Character::isDigit);
        if (pid ? target.length() > 9 : !TAG.matcher(target).matches()) {
            throw ApiException.invalid("'" + abbreviate(target) + "' is neither a pid nor a process tag");
        }
        return target;
    }

    /** A path in a capsule: not empty, at most {@link #MAX_PATH} characters. */
    static String path(String p, String field) {
        if (p.isEmpty()) throw ApiException.invalid(field + " must not be empty");
        if (p.length() > MAX_PATH) throw ApiException.invalid(field + " is longer than " + MAX_PATH + " characters");
        return p;
    }

    static boolean flag(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isEmpty()) return false;
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw ApiException.invalid("query parameter " + name + " must be true or false, got '" + abbreviate(v) + "'");
        };
    }

    static String abbreviate(String s) {
        if (s == null) return "null";
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
