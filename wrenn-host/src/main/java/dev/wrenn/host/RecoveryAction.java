package dev.wrenn.host;

import dev.wrenn.host.api.Phase;

/**
 * What a restarted host agent does with one capsule directory, from what it finds there: the
 * phase its record says, whether its VM still runs, whether pause files exist. One table, so
 * that every interrupted operation ends in a state a user can act on.
 */
enum RecoveryAction {
    /** A create that never finished: nothing a user was told about. The VM is killed, the files removed. */
    DISCARD,
    /** The VM runs (or was stopped mid-pause): take it over. If that fails, pause files make it PAUSED, else LOST. */
    REATTACH,
    /** A resume that restored the VM but had not recorded it: the VM holds the capsule. */
    FINISH_RESUME,
    /** The pause files are the truth (a finished pause, or a resume that had not used them): any VM is killed. */
    PAUSED,
    /** Neither a VM nor pause files: the capsule cannot come back. */
    LOST,
    /** Already gone before the restart: any VM is killed. */
    EXITED;

    static RecoveryAction decide(Phase recorded, boolean vmRunning, boolean hasPauseFiles) {
        if (recorded == null) return DISCARD;
        return switch (recorded) {
            case RUNNING -> vmRunning ? REATTACH : hasPauseFiles ? PAUSED : LOST;
            case PAUSED -> hasPauseFiles ? PAUSED : vmRunning ? FINISH_RESUME : LOST;
            case EXITED -> EXITED;
        };
    }
}
