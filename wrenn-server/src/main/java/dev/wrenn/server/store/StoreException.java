package dev.wrenn.server.store;

import java.sql.SQLException;

/** The database failed a statement: it is unreachable, full, or the SQL is wrong (a bug). */
public class StoreException extends RuntimeException {
    public StoreException(SQLException cause) {
        super("database error: " + cause.getMessage(), cause);
    }
}
