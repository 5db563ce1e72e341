package dev.wrenn.cli;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * What the client commands read from outside their options: environment variables, whether a
 * person is watching, and standard input. Passed in rather than read globally, so a test can run a
 * command with no {@code WRENN_API_KEY} whatever the test JVM's environment holds, and give
 * {@code exec} a stdin without touching the test JVM's own.
 *
 * @param variables looks up an environment variable; null when unset
 * @param interactive true when progress may redraw itself in place
 * @param stdin the command line's standard input
 * @param stdinIsTerminal true when {@code stdin} is a terminal (a person typing) rather than a pipe or file
 */
record CliEnvironment(UnaryOperator<String> variables, boolean interactive, InputStream stdin, boolean stdinIsTerminal) {
    /** An environment whose stdin is a terminal with nothing typed: what a command run from a test sees. */
    CliEnvironment(UnaryOperator<String> variables, boolean interactive) {
        this(variables, interactive, InputStream.nullInputStream(), true);
    }

    static CliEnvironment system() {
        return new CliEnvironment(System::getenv, isTerminal(System.console()), System.in, isTerminalOnFd0());
    }

    /** The variable's value, or null when it is unset or blank (an empty export means "not set" to people). */
    String variable(String name) {
        String v = variables.apply(name);
        return v == null || v.isBlank() ? null : v;
    }

    /**
     * Whether fd 0 is a terminal, asked of Linux's /proc (the JDK has no call for stdin alone). Where
     * there is no /proc, stdin counts as a terminal when the JDK's console (stdin and stdout) is one.
     */
    private static boolean isTerminalOnFd0() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException noProc) {
            return isTerminal(System.console());
        }
    }

    // JDK 22 to 24 return a Console even when the streams are redirected; only its isTerminal() (22+, so
    // reflection while we compile for 21) tells a pipe from a terminal there.
    private static boolean isTerminal(Console console) {
        if (console == null) return false;
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException jdk21) {
            return true;
        }
    }
}
