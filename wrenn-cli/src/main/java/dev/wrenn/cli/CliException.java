package dev.wrenn.cli;

/** A usage mistake the command reports in one line, without a stack trace. */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }
}
