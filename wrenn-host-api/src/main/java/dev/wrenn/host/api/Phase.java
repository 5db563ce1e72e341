package dev.wrenn.host.api;

/** Where a capsule is on its host: its VM runs, it is files only, or its VM is gone. */
public enum Phase { RUNNING, PAUSED, EXITED }
