package dev.wrenn.host.guest;

import java.nio.ByteBuffer;

/** One frame of the guest protocol: a 12-byte header and a payload of at most {@link #MAX_PAYLOAD}. */
record Frame(int type, int stream, byte[] payload) {
    static final int MAGIC = 0x5752;
    static final int HEADER = 12;
    static final int MAX_PAYLOAD = 1 << 20;

    Frame {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("frame payload of " + payload.length + " bytes exceeds " + MAX_PAYLOAD);
        }
    }

    static Frame of(int type, int stream, Record record) {
        return new Frame(type, stream, record.encode());
    }

    Record record() {
        return Record.decode(payload);
    }

    ByteBuffer encode() {
        ByteBuffer buf = ByteBuffer.allocate(HEADER + payload.length);
        buf.putShort((short) MAGIC).put((byte) type).put((byte) 0).putInt(stream).putInt(payload.length).put(payload);
        return buf.flip();
    }
}
