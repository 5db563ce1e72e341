package dev.wrenn.host;

import static dev.wrenn.host.RecoveryAction.decide;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wrenn.host.api.Phase;
import org.junit.jupiter.api.Test;

/**
 * Every combination a restarted host agent can find in a capsule directory, and what becomes of
 * it. The real-VM side of each row is in {@link ReattachTest} and the server's crash tests.
 */
class RecoveryActionTest {

    @Test
    void aCreateThatNeverRecordedItsCapsuleIsDiscardedWhateverRuns() {
        assertEquals(RecoveryAction.DISCARD, decide(null, true, false));
        assertEquals(RecoveryAction.DISCARD, decide(null, false, true));
    }

    @Test
    void aRunningCapsuleIsTakenOverWhileItsVmRunsEvenMidPause() {
        assertEquals(RecoveryAction.REATTACH, decide(Phase.RUNNING, true, false));
        assertEquals(RecoveryAction.REATTACH, decide(Phase.RUNNING, true, true));
    }

    @Test
    void aRunningCapsuleWithoutItsVmIsPausedIfThePauseFilesWereWrittenElseLost() {
        assertEquals(RecoveryAction.PAUSED, decide(Phase.RUNNING, false, true));
        assertEquals(RecoveryAction.LOST, decide(Phase.RUNNING, false, false));
    }

    @Test
    void aPausedCapsuleStaysPausedWhileItsPauseFilesExist() {
        assertEquals(RecoveryAction.PAUSED, decide(Phase.PAUSED, false, true));
        // a resume that had launched the VM but not used the files yet: the files win, the VM goes
        assertEquals(RecoveryAction.PAUSED, decide(Phase.PAUSED, true, true));
    }

    @Test
    void aResumeThatUsedThePauseFilesIsFinishedIfItsVmRunsElseTheCapsuleIsLost() {
        assertEquals(RecoveryAction.FINISH_RESUME, decide(Phase.PAUSED, true, false));
        assertEquals(RecoveryAction.LOST, decide(Phase.PAUSED, false, false));
    }

    @Test
    void anExitedCapsuleStaysExited() {
        assertEquals(RecoveryAction.EXITED, decide(Phase.EXITED, true, true));
        assertEquals(RecoveryAction.EXITED, decide(Phase.EXITED, false, false));
    }
}
