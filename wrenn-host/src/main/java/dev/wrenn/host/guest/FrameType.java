package dev.wrenn.host.guest;

/** Message types of the guest protocol (docs/guest-protocol.md §3). */
final class FrameType {
    static final int HELLO = 0x01;
    static final int INIT = 0x02;
    static final int PING = 0x03;
    static final int CLOSE = 0x05;
    static final int CREDIT = 0x06;
    static final int EXEC = 0x10;
    static final int STDIN = 0x11;
    static final int STDIN_CLOSE = 0x12;
    static final int RESIZE = 0x13;
    static final int SIGNAL = 0x14;
    static final int PS = 0x15;
    static final int ATTACH = 0x16;
    static final int READ = 0x20;
    static final int WRITE = 0x21;
    static final int WRITE_DATA = 0x22;
    static final int WRITE_END = 0x23;
    static final int STAT = 0x24;
    static final int LIST = 0x25;
    static final int MKDIR = 0x26;
    static final int REMOVE = 0x27;
    static final int FREEZE = 0x30;
    static final int THAW = 0x31;

    static final int OK = 0x80;
    static final int HELLO_ACK = 0x81;
    static final int ERROR = 0x82;
    static final int STDOUT = 0x90;
    static final int STDERR = 0x91;
    static final int EXIT = 0x92;
    static final int REPLAY = 0x93;
    static final int DATA = 0xA0;
    static final int END = 0xA1;
    static final int ENTRIES = 0xA2;

    private FrameType() {}
}
