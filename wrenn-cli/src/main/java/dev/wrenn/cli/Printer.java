package dev.wrenn.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Prints a command's result on stdout: JSON for scripts with {@code --json}, else text for people. */
final class Printer {
    // field: value spacing as the API itself and most JSON tools write it
    private static final ObjectWriter JSON = new ObjectMapper().writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    private final PrintWriter out;
    private final boolean json;

    Printer(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    /** One object: a JSON object, or aligned {@code name: value} lines. */
    <T> void object(Fields<T> fields, T value) {
        Map<String, Object> m = fields.of(value);
        if (json) {
            writeJson(m);
        } else {
            int width = m.keySet().stream().mapToInt(String::length).max().orElse(0) + 1;
            m.forEach((k, v) -> out.println(String.format("%-" + width + "s ", k + ":") + text(v)));
        }
        out.flush();
    }

    /** One value on its own line, the same with or without {@code --json} (a URL needs no quoting to be read). */
    void line(String value) {
        out.println(value);
        out.flush();
    }

    /** A listing: a JSON array of the objects' fields, or a table. */
    <T> void list(Fields<T> fields, Table<T> table, List<T> values) {
        if (json) {
            writeJson(values.stream().map(fields::of).toList());
        } else {
            table.print(values, out);
        }
        out.flush();
    }

    /** How a field's value reads in text: unset as {@code -}, a map as {@code k=v, k=v}. */
    static String text(Object value) {
        if (value == null) return "-";
        if (value instanceof Map<?, ?> map) {
            return map.isEmpty() ? "-" : map.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", "));
        }
        return value.toString();
    }

    private void writeJson(Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("plain maps and lists always serialize", e);
        }
    }
}
