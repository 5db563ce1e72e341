package dev.wrenn.sdk;

/**
 * A capsule ended in a status the call cannot go on from: it reached {@code error} while the SDK
 * waited for {@code running}, or {@link Capsule#connect(String)} found it stopped. {@link #capsule()}
 * is the capsule as last seen, with its {@link CapsuleInfo#statusReason() status reason}.
 *
 * @serial exclude
 */
public class WrennCapsuleStateException extends WrennException {
    private static final long serialVersionUID = 1L;

    private final transient CapsuleInfo capsule;

    /**
     * Creates the exception.
     *
     * @param message what was expected and what the capsule's status is instead
     * @param capsule the capsule as last seen
     */
    public WrennCapsuleStateException(String message, CapsuleInfo capsule) {
        super(0, "capsule_" + capsule.status().wire(), message, null, null);
        this.capsule = capsule;
    }

    /** {@return the capsule as last seen, including its status reason} */
    public CapsuleInfo capsule() {
        return capsule;
    }
}
