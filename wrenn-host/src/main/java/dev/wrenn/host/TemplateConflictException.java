package dev.wrenn.host;

/** A template name is taken, or reserved for a built-in template. {@link #code()} says which. */
public class TemplateConflictException extends RuntimeException {
    private final String code;

    public TemplateConflictException(String code, String message) {
        super(message);
        this.code = code;
    }

    /** {@code template_name_taken} or {@code name_reserved}. */
    public String code() {
        return code;
    }
}
