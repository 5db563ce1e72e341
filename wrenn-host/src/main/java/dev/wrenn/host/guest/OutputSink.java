package dev.wrenn.host.guest;

/** Receives a process's output as it arrives; called from one thread, in order. */
@FunctionalInterface
public interface OutputSink {
    void accept(boolean stderr, byte[] data);
}
