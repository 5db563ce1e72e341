package dev.wrenn.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The terminal {@code wrenn capsules shell} runs in, driven with {@code stty} on {@code /dev/tty} as a
 * shell script would: its size, raw mode while a remote shell has it (every key, Ctrl-C and Ctrl-D
 * too, goes to the capsule, whose terminal does the echoing), and its resizes. The settings found
 * are put back on close, and by a shutdown hook should a signal end the JVM first.
 */
final class LocalTerminal implements AutoCloseable {
    /** A window size; a terminal that reports none (0 0) counts as 80×24. */
    record Size(int cols, int rows) {}

    private static final File TTY = new File("/dev/tty");
    private static final Signal WINCH = new Signal("WINCH");

    private final String saved;
    private final Thread restoreAtExit;
    private final SignalHandler previousWinch;

    private LocalTerminal(String saved, Consumer<Size> onResize) {
        this.saved = saved;
        this.restoreAtExit = new Thread(this::restore, "wrenn-restore-terminal");
        Runtime.getRuntime().addShutdownHook(restoreAtExit);
        // SIGWINCH rather than polling stty: the new size reaches the capsule at once and nothing runs meanwhile
        this.previousWinch = Signal.handle(WINCH, signal -> onResize.accept(size()));
    }

    /** {@return the terminal's size now} */
    static Size size() {
        String[] rowsCols = stty("size").strip().split("\\s+");
        int rows = Integer.parseInt(rowsCols[0]);
        int cols = Integer.parseInt(rowsCols[1]);
        return rows > 0 && cols > 0 ? new Size(cols, rows) : new Size(80, 24);
    }

    /**
     * Puts the terminal in raw mode until {@link #close()}.
     *
     * @param onResize called with the new size whenever the window is resized
     * @throws CliException when there is no terminal (stdin redirected, no controlling terminal)
     */
    static LocalTerminal raw(Consumer<Size> onResize) {
        LocalTerminal t = new LocalTerminal(stty("-g").strip(), onResize);
        stty("raw", "-echo");
        return t;
    }

    @Override
    public void close() {
        Signal.handle(WINCH, previousWinch);
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreAtExit);
        } catch (IllegalStateException exiting) {
            // the JVM is shutting down already; the hook restores as well, which does no harm
        }
    }

    private void restore() {
        stty(saved);
    }

    private static String stty(String... args) {
        List<String> cmd = new ArrayList<>(List.of("stty"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(TTY).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (p.waitFor() != 0) throw notATerminal();
            return out;
        } catch (IOException e) {
            throw notATerminal();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while setting up the terminal");
        }
    }

    private static CliException notATerminal() {
        return new CliException("shell needs a terminal (stty on /dev/tty failed); for scripts use exec");
    }
}
