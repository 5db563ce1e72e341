package dev.wrenn.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Rows of objects as aligned text columns for people. Two spaces between columns; the last column is
 * not padded, so no line ends in blanks. Define one per object type and reuse it.
 *
 * @param <T> the type of a row
 */
final class Table<T> {
    private record Column<T>(String header, Function<T, ?> value) {}

    private final List<Column<T>> columns = new ArrayList<>();

    /** Adds a column; a null value shows as {@code -}. */
    Table<T> column(String header, Function<T, ?> value) {
        columns.add(new Column<>(header, value));
        return this;
    }

    void print(List<T> rows, PrintWriter out) {
        List<String[]> cells = new ArrayList<>();
        cells.add(columns.stream().map(Column::header).toArray(String[]::new));
        for (T row : rows) cells.add(columns.stream().map(c -> Printer.text(c.value().apply(row))).toArray(String[]::new));
        int[] widths = new int[columns.size()];
        for (String[] line : cells) {
            for (int i = 0; i < line.length; i++) widths[i] = Math.max(widths[i], line[i].length());
        }
        for (String[] line : cells) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < line.length; i++) {
                sb.append(line[i]);
                if (i < line.length - 1) sb.append(" ".repeat(widths[i] - line[i].length() + 2));
            }
            out.println(sb);
        }
    }
}
