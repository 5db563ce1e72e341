package dev.wrenn.server.api;

import dev.wrenn.server.Ids;
import dev.wrenn.server.error.ApiException;
import io.javalin.http.Context;
import java.util.Locale;

/** Path and query parameters, validated: a value that does not parse is 400 naming it. */
final class Params {
    private Params() {}

    static String capsuleId(Context ctx) {
        String id = ctx.pathParam("id");
        if (!Ids.CAPSULE.matches(id)) {
            throw ApiException.invalid("'" + abbreviate(id) + "' is not a capsule id: expected cl- and 25 of [0-9a-z]");
        }
        return id;
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
