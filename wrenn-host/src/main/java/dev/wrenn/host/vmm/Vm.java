package dev.wrenn.host.vmm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One running VM as the host agent drives it, whatever the VMM: started, stopped, saved to a file
 * and restored from one, its disk switched to a new top layer, ended. Every call is bounded.
 */
public interface Vm extends AutoCloseable {
    String name();

    long pid();

    /** The VM's directory was renamed (a warm clone handed to its capsule). */
    void movedTo(Path newDir);

    /** The unix socket of the guest agent's port (docs/guest-protocol.md). */
    Path guestSocket();

    /** {@code running}, {@code paused}, {@code inmigrate}, ... as the VMM reports it. */
    String status();

    /** Stops the vCPUs. */
    void stop();

    /** Lets the vCPUs run. */
    void cont();

    /**
     * Loads a saved state into a VM started with {@code incoming}; it ends stopped. {@code withRam}
     * must match the save: false when RAM lives in a file of its own (the memory snapshot).
     */
    void restore(String stateFile, boolean withRam, Duration timeout);

    /** Writes the stopped VM's device state, and its RAM when {@code withRam}, to {@code stateFile}. */
    void save(String stateFile, boolean withRam, Duration timeout);

    /** Switches the disk to a new, existing overlay whose backing file is the current top layer. */
    void switchDisk(String newTop);

    /** Asks the VM to exit and waits for it; kills it when it does not go in time. */
    void quit(Duration timeout);

    /** Ends the VM at once and waits until its process is gone. */
    void kill();

    /** Completes when the VM is gone. */
    CompletableFuture<Void> exited();

    /** Whether this host agent ended it (a quit or kill), rather than the VM on its own. */
    boolean exitExpected();

    /** Resident memory of the VMM process, in KiB (0 when gone). */
    long rssKib();

    /** Why the VM ended, from the VMM's log and the guest console. */
    String exitReport();

    /** Lets go of the VM without ending it (it runs on, to be attached to again). */
    @Override
    void close();
}
