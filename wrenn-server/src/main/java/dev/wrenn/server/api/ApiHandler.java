package dev.wrenn.server.api;

import dev.wrenn.server.auth.Caller;
import io.javalin.http.Context;

/** A handler of an authenticated route: parse, call one service method, render. */
@FunctionalInterface
interface ApiHandler {
    void handle(Context ctx, Caller caller) throws Exception;
}
