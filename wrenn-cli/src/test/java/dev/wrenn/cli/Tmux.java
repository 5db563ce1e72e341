package dev.wrenn.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A detached tmux session on a tmux server of its own (its own socket, no user configuration), to
 * run a program in a real terminal as a person would: type into it, read its screen, resize it.
 */
final class Tmux implements AutoCloseable {
    private static final String SESSION = "main";
    private final String socket = "wrenn-test-" + UUID.randomUUID().toString().substring(0, 8);

    private Tmux() {}

    /** Starts {@code script} with {@code sh} in a new session of {@code cols} × {@code rows}. */
    static Tmux start(Path script, int cols, int rows) {
        Tmux t = new Tmux();
        t.tmux("-f", "/dev/null", "new-session", "-d", "-s", SESSION, "-x", Integer.toString(cols), "-y", Integer.toString(rows),
                "sh " + script);
        return t;
    }

    /** Types {@code text} and Enter. */
    void typeLine(String text) {
        tmux("send-keys", "-t", SESSION, "-l", text);
        tmux("send-keys", "-t", SESSION, "Enter");
    }

    /** Presses a key by its tmux name, e.g. {@code C-d}. */
    void press(String key) {
        tmux("send-keys", "-t", SESSION, key);
    }

    /** {@return the visible screen as text} */
    String screen() {
        return tmux("capture-pane", "-p", "-t", SESSION);
    }

    /** Waits until the screen shows {@code text}; returns the screen then. */
    String await(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String screen = screen();
            if (screen.contains(text)) return screen;
            if (System.nanoTime() > deadline) {
                throw new AssertionError("'" + text + "' did not show within " + timeout + "; the screen:\n" + screen);
            }
            sleep(100);
        }
    }

    void resize(int cols, int rows) {
        tmux("resize-window", "-t", SESSION, "-x", Integer.toString(cols), "-y", Integer.toString(rows));
    }

    /** {@return the pane's size as {@code stty size} prints it: rows, a space, columns} */
    String paneSize() {
        return tmux("display-message", "-p", "-t", SESSION, "#{pane_height} #{pane_width}").strip();
    }

    private String tmux(String... args) {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("tmux could not run (scripts/install-deps.sh installs it): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    /** Ends the session and its tmux server, with whatever still runs in it. */
    @Override
    public void close() {
        tmux("kill-server");
    }
}
