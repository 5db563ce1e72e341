package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pieces the client commands print with: progress lines, tables, details and JSON. */
class OutputTest {
    private record Row(String name, Integer size) {}

    private static final Fields<Row> FIELDS = new Fields<Row>().add("name", Row::name).add("size_bytes", Row::size);
    private static final Table<Row> TABLE = new Table<Row>().column("NAME", Row::name).column("SIZE", Row::size);

    @Test
    void withoutATerminalProgressIsAStartLineAndADoneLine() {
        StringWriter err = new StringWriter();
        String result = new Progress(new PrintWriter(err), false).run("Pausing cl-x", () -> "paused");
        assertEquals("paused", result);
        List<String> lines = err.toString().lines().toList();
        assertEquals(2, lines.size(), err::toString);
        assertEquals("Pausing cl-x...", lines.get(0));
        assertTrue(lines.get(1).matches("Pausing cl-x\\.\\.\\. done in \\d+\\.\\d s"), lines.get(1));
        assertTrue(!err.toString().contains("\r"));
    }

    @Test
    void onATerminalProgressRedrawsOneLineAndClearsItOnFailure() throws Exception {
        StringWriter err = new StringWriter();
        new Progress(new PrintWriter(err), true).run("Resuming cl-x", () -> {
            sleep(250);
            return null;
        });
        String s = err.toString();
        assertTrue(s.startsWith("\rResuming cl-x... 0.0 s"), s);
        assertTrue(s.matches("(?s).*\rResuming cl-x\\.\\.\\. done in \\d+\\.\\d s\\s*\\R"), "one final line: " + s);
        assertEquals(1, s.chars().filter(c -> c == '\n').count(), "updated in place: " + s);

        StringWriter failed = new StringWriter();
        assertThrows(IllegalStateException.class, () -> new Progress(new PrintWriter(failed), true).run("Pausing cl-x", () -> {
            throw new IllegalStateException("boom");
        }));
        assertTrue(failed.toString().matches("(?s).*\r *\r"), "blanked, so the error line stands alone: " + failed);
    }

    @Test
    void tablesAlignColumnsWithoutTrailingBlanks() {
        StringWriter out = new StringWriter();
        TABLE.print(List.of(new Row("minimal", 155), new Row("a", null)), new PrintWriter(out));
        assertEquals("NAME     SIZE\nminimal  155\na        -\n", out.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void detailsAndJsonUseTheSameFieldNames() {
        StringWriter text = new StringWriter();
        new Printer(new PrintWriter(text), false).object(FIELDS, new Row("minimal", null));
        assertEquals("name:       minimal\nsize_bytes: -\n", text.toString().replace(System.lineSeparator(), "\n"));

        StringWriter json = new StringWriter();
        new Printer(new PrintWriter(json), true).list(FIELDS, TABLE, List.of(new Row("minimal", 155)));
        assertEquals("[{\"name\":\"minimal\",\"size_bytes\":155}]", json.toString().replaceAll("\\s", ""));

        Map<String, String> metadata = new LinkedHashMap<>();
        assertEquals("-", Printer.text(metadata));
        metadata.put("a", "1");
        metadata.put("b", "2");
        assertEquals("a=1, b=2", Printer.text(metadata));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
