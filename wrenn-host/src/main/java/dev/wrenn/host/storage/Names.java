package dev.wrenn.host.storage;

import java.util.regex.Pattern;

/**
 * Validation of names that end up as directory names on the host (capsule ids, template names):
 * anything else could escape the data directory.
 */
public final class Names {
    private static final Pattern CAPSULE_ID = Pattern.compile("cl-[0-9a-z]{25}");
    private static final Pattern TEMPLATE = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}");
    /** A size variant of a built-in template, named by the host agent itself. */
    private static final Pattern VARIANT = Pattern.compile("[a-z0-9-]{1,32}@[0-9]{1,3}x[0-9]{1,7}");

    private Names() {}

    public static String capsuleId(String id) {
        if (id == null || !CAPSULE_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid capsule id '" + id + "': expected cl- and 25 of [0-9a-z]");
        }
        return id;
    }

    public static String template(String name) {
        if (name == null || !TEMPLATE.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("invalid template name '" + name
                    + "': expected 1-64 of [a-zA-Z0-9._-], starting with a letter or digit");
        }
        return name;
    }

    /** A user's template name, or a host-made size variant of a built-in one. */
    static String templateDir(String name) {
        if (name != null && VARIANT.matcher(name).matches()) return name;
        return template(name);
    }
}
