package dev.wrenn.server.proxy;

/** A request for TCP {@code port} of capsule {@code capsuleId}, as its Host header named them (api.md §9). */
record PortRoute(int port, String capsuleId) {}
