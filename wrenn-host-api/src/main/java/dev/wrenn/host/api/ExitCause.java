package dev.wrenn.host.api;

/** Why a capsule's VM is gone without being asked to go. */
public enum ExitCause {
    /** The VM ended on its own (crash, out of memory, killed). */
    VM_EXITED,
    /** The host could not find the VM or its pause files again (after a restart, a failed resume). */
    HOST_LOST
}
