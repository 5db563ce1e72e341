package dev.wrenn.host.api;

/**
 * Why a host refused or failed an operation. The control plane maps each to an API error code;
 * nothing on either side parses messages to tell them apart.
 */
public enum HostError {
    /** No such capsule, template, file or process. */
    NOT_FOUND,
    /** The capsule's state does not allow the operation, or another operation on it is in flight. */
    INVALID_STATE,
    /** An argument the host or the guest cannot accept (a size, a path that is a directory, ...). */
    INVALID_ARGUMENT,
    /** The object to be created exists (a directory, a file). */
    ALREADY_EXISTS,
    /** A template of that name exists and overwriting was not asked for. */
    NAME_TAKEN,
    /** The name belongs to a built-in template. */
    NAME_RESERVED,
    /** Built-in templates cannot be deleted. */
    BUILT_IN,
    /** The guest refused access (permissions, a read-only file system). */
    PERMISSION_DENIED,
    /** The host's or the guest's disk is full. */
    DISK_FULL,
    /** The guest runs as many processes or streams as it may. */
    GUEST_BUSY,
    /** The capsule was paused: its streams end, its processes are kept. */
    CAPSULE_PAUSED,
    /** The stream was closed by its own holder while a call waited on it. */
    STREAM_CLOSED,
    /** The capsule's VM ended on its own. */
    VM_EXITED,
    /** The guest agent did not answer, or not as the protocol says. */
    AGENT_FAILURE,
    /** Nothing listens on the capsule's port that was asked for. */
    CONNECTION_REFUSED,
    /** An answer did not come in time. */
    TIMEOUT,
    /** The host itself failed: the VMM, its files, its processes. */
    HOST_FAILURE,
    /** The host could not be reached: its agent is down, or the network to it is. Nothing was done, or it is unknown. */
    HOST_UNREACHABLE
}
