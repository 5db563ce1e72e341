package dev.wrenn.host.api;

import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The control plane's one way to a host: the VMs of its capsules, its templates, and what runs
 * inside capsules. Plain records in and out, stream handles for processes, {@link HostException}s
 * with a {@link HostError} for every failure. The embedded default implements it in-process; a
 * host on another machine sits behind the same interface.
 */
public interface Host extends AutoCloseable {
    HostInfo info();

    /** The host's memory and CPUs, what its VMs use now and what is left for more (read fresh, cheap). */
    HostCapacity capacity();

    // ---- templates ----

    /** Names of the templates every host has (reserved for them). */
    Set<String> builtInTemplates();

    /** Makes sure a built-in template is booted and saved for its current image (minutes on a fresh machine). */
    void prepareBuiltIn(String name);

    /** Built-in templates at their default size and snapshot templates, newest first. */
    List<TemplateInfo> templates();

    Optional<TemplateInfo> template(String name);

    /** Deletes a snapshot template; capsules created from it keep working. */
    void deleteTemplate(String name);

    // ---- copies between hosts: snapshot templates, paused capsules ----

    /**
     * The files of a snapshot template or a paused capsule, each with its size and digest (a
     * template's computed once, then kept). {@link HostError#INVALID_STATE} for a capsule not paused.
     */
    List<StoredFile> files(FileSet set);

    /** Reads one of {@link #files} from {@code offset} on; the caller closes it. */
    InputStream openFile(FileSet set, String file, long offset);

    /**
     * How much of {@code file} this host holds already: its size when it has all of it (received
     * before, for this set or another sharing the file), else what a transfer that broke off left.
     */
    long heldBytes(StoredFile file);

    /**
     * Adds {@code data} to what this host holds of {@code file}, from {@code offset} (which must be
     * {@link #heldBytes}); once complete the file is checked against its digest (a mismatch throws
     * it away). Answers {@link #heldBytes} after: less than the size when the data ended early. Data
     * that breaks off fails the call; what arrived is kept, and {@link #heldBytes} says how much.
     */
    long receive(StoredFile file, long offset, InputStream data);

    /**
     * Makes a template copy, or a paused capsule moved here, of files this host holds completely.
     * Installing what is here already with the same files changes nothing.
     */
    void install(FileSet set, List<StoredFile> files);

    // ---- capsules ----

    /**
     * Creates a running capsule from a template: a restore, with its own identity, disk and memory,
     * on the network as {@code network} allows. {@code vcpus}/{@code memoryMb} null = the
     * template's; a snapshot template's size is fixed.
     */
    CapsuleState create(String id, String template, Integer vcpus, Integer memoryMb, NetworkPolicy network);

    /** {@link #create(String, String, Integer, Integer, NetworkPolicy)} with the default network: the internet, nothing denied. */
    default CapsuleState create(String id, String template, Integer vcpus, Integer memoryMb) {
        return create(id, template, vcpus, memoryMb, NetworkPolicy.DEFAULT);
    }

    /** Writes a running capsule's whole state to disk and ends its VM; on failure it keeps running. */
    CapsuleState pause(String id);

    /** Restores a paused capsule exactly as it was. */
    CapsuleState resume(String id);

    /** Ends the capsule's VM and removes its files; unknown ids are a no-op. */
    void destroy(String id);

    /** Saves a running or paused capsule as a template; a running one runs on. */
    TemplateInfo snapshot(String id, String templateName, boolean overwrite);

    Optional<CapsuleState> capsule(String id);

    List<CapsuleState> capsules();

    /** Changes what a running or paused capsule may reach; a running one's rules change at once. */
    void setNetwork(String id, NetworkPolicy network);

    /**
     * A connection to TCP {@code port} inside a running capsule (the port proxy's).
     * {@link HostError#INVALID_STATE} when the capsule is not running or has no network,
     * {@link HostError#CONNECTION_REFUSED} when nothing listens there, {@link HostError#TIMEOUT} when
     * nothing answered the connect within {@code connectTimeout}.
     */
    PortStream openPort(String id, int port, Duration connectTimeout);

    /** Called (on a background thread) with the capsule's new state when its VM ends without being asked to. */
    void onVmExit(Consumer<CapsuleState> listener);

    /** The inside of a running capsule. {@link HostError#INVALID_STATE} when it is not running. */
    Guest guest(String capsuleId);

    /** Lets go of the capsules without stopping them: a new host process on the same data takes them over. */
    @Override
    void close();
}
