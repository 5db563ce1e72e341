package dev.wrenn.sdk;

import java.nio.charset.StandardCharsets;

/** Path segments built from user values, so an id like {@code ../x} stays one segment. */
final class UrlPath {
    private UrlPath() {}

    static String segment(String value, String what) {
        if (value == null || value.isEmpty()) throw new IllegalArgumentException(what + " must not be empty");
        StringBuilder sb = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '~'
                    || (c == '.' && !value.equals(".") && !value.equals(".."))) {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    static String capsule(String id) {
        return "/v1/capsules/" + segment(id, "capsule id");
    }
}
