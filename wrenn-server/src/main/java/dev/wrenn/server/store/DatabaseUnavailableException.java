package dev.wrenn.server.store;

/** The database could not be opened or migrated: a wrong URL, a server that is down, a directory that cannot be written. */
public class DatabaseUnavailableException extends RuntimeException {
    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
