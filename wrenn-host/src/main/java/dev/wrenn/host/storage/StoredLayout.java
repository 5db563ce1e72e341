package dev.wrenn.host.storage;

/** Device layouts as records store them. */
final class StoredLayout {
    /**
     * What records written before layouts were recorded ran with: QEMU microvm with a console, the
     * guest agent's port and one disk.
     */
    static final String BEFORE_LAYOUTS = "qemu-microvm-1";

    private StoredLayout() {}
}
