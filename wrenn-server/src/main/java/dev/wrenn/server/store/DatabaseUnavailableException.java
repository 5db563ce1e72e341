package dev.wrenn.server.store;

/**
 * The database cannot be reached: it could not be opened or migrated at start (a wrong URL, a
 * server that is down, a directory that cannot be written), or a connection failed later. A
 * request that meets it answers 503 and may be retried.
 */
public class DatabaseUnavailableException extends RuntimeException {
    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
