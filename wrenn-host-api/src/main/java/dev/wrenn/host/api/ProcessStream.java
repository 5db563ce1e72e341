package dev.wrenn.host.api;

/**
 * A live view of one process in a capsule: its output as a flow-controlled subscription, its
 * input and terminal size as calls. Output is pulled: the guest produces no more than it has been
 * allowed beyond what {@link #next} has handed out, so a consumer that stops pulling stalls the
 * process in the guest and never fills the host's memory.
 *
 * <p>{@link #next} is for one thread; {@link #write}, {@link #resize} and {@link #close} may be
 * called from others.
 */
public interface ProcessStream extends AutoCloseable {
    int pid();

    /** The process's tag, or null when it has none. */
    String tag();

    boolean pty();

    /** Whether the process takes input through {@link #write}. */
    boolean acceptsInput();

    /**
     * The next output or the end, waiting as long as the process runs. Calling it again releases
     * the previous output (the guest may send that much more). After {@link ProcessEvent.Exited} the
     * stream has ended. Throws {@link HostException}: {@link HostError#CAPSULE_PAUSED} when the
     * capsule is paused (the process is kept), {@link HostError#VM_EXITED}, {@link HostError#AGENT_FAILURE}.
     */
    ProcessEvent next();

    /** Sends input, waiting while the guest has not taken earlier input yet. */
    void write(byte[] data);

    /** Ends the process's input (on a terminal: its end-of-file character). */
    void closeStdin();

    void resize(int rows, int cols);

    /**
     * Ends this stream. A process this stream started in the foreground (not detached) is killed;
     * otherwise the process runs on and can be attached to again. A {@link #next} waiting in
     * another thread returns with a {@link HostException}.
     */
    @Override
    void close();
}
