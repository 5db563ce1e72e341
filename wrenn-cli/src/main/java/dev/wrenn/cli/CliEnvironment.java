package dev.wrenn.cli;

import java.io.Console;
import java.util.function.UnaryOperator;

/**
 * What the client commands read from outside their options: environment variables and whether a
 * person is watching. Passed in rather than read globally, so a test can run a command with no
 * {@code WRENN_API_KEY} whatever the test JVM's environment holds.
 *
 * @param variables looks up an environment variable; null when unset
 * @param interactive true when progress may redraw itself in place
 */
record CliEnvironment(UnaryOperator<String> variables, boolean interactive) {
    static CliEnvironment system() {
        return new CliEnvironment(System::getenv, isTerminal(System.console()));
    }

    /** The variable's value, or null when it is unset or blank (an empty export means "not set" to people). */
    String variable(String name) {
        String v = variables.apply(name);
        return v == null || v.isBlank() ? null : v;
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
