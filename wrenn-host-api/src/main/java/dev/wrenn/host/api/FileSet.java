package dev.wrenn.host.api;

/**
 * What hosts copy between them, file by file: a snapshot template (a copy for capsules placed on
 * another host) or a paused capsule (moved off a host being drained).
 */
public record FileSet(Kind kind, String name) {
    public enum Kind { TEMPLATE, CAPSULE }

    public static FileSet template(String name) {
        return new FileSet(Kind.TEMPLATE, name);
    }

    public static FileSet capsule(String id) {
        return new FileSet(Kind.CAPSULE, id);
    }

    @Override
    public String toString() {
        return (kind == Kind.TEMPLATE ? "template " : "capsule ") + name;
    }
}
