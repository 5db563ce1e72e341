package dev.wrenn.host.guest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A record of the guest protocol (docs/guest-protocol.md §2): ordered, possibly repeated key/value
 * entries. Decoding is strict about lengths because the bytes come from an untrusted guest.
 */
public final class Record {
    private static final int MAX_KEY = 255;

    private final List<Map.Entry<String, byte[]>> entries;

    private Record(List<Map.Entry<String, byte[]>> entries) {
        this.entries = entries;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static Record empty() {
        return new Record(List.of());
    }

    /** Decodes a payload; any inconsistency is a {@link GuestProtocolException}. */
    public static Record decode(byte[] payload) {
        ByteBuffer buf = ByteBuffer.wrap(payload);
        List<Map.Entry<String, byte[]>> out = new ArrayList<>();
        while (buf.hasRemaining()) {
            if (buf.remaining() < 2) throw new GuestProtocolException("record truncated in a key length");
            int keyLen = Short.toUnsignedInt(buf.getShort());
            if (keyLen == 0 || keyLen > MAX_KEY || buf.remaining() < keyLen + 4) {
                throw new GuestProtocolException("record has a bad key length " + keyLen);
            }
            byte[] key = new byte[keyLen];
            buf.get(key);
            long valueLen = Integer.toUnsignedLong(buf.getInt());
            if (valueLen > buf.remaining()) {
                throw new GuestProtocolException("record value length " + valueLen + " exceeds the payload");
            }
            byte[] value = new byte[(int) valueLen];
            buf.get(value);
            out.add(Map.entry(new String(key, StandardCharsets.US_ASCII), value));
        }
        return new Record(Collections.unmodifiableList(out));
    }

    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : entries) {
            byte[] key = e.getKey().getBytes(StandardCharsets.US_ASCII);
            byte[] value = e.getValue();
            out.write(key.length >> 8);
            out.write(key.length);
            out.writeBytes(key);
            out.write(value.length >>> 24);
            out.write(value.length >>> 16);
            out.write(value.length >>> 8);
            out.write(value.length);
            out.writeBytes(value);
        }
        return out.toByteArray();
    }

    public Optional<byte[]> bytes(String key) {
        for (Map.Entry<String, byte[]> e : entries) {
            if (e.getKey().equals(key)) return Optional.of(e.getValue());
        }
        return Optional.empty();
    }

    public Optional<String> string(String key) {
        return bytes(key).map(b -> new String(b, StandardCharsets.UTF_8));
    }

    public String string(String key, String fallback) {
        return string(key).orElse(fallback);
    }

    /** Every value of a repeated key, in order. */
    public List<byte[]> all(String key) {
        List<byte[]> values = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : entries) {
            if (e.getKey().equals(key)) values.add(e.getValue());
        }
        return values;
    }

    public List<String> strings(String key) {
        return all(key).stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
    }

    public List<Record> records(String key) {
        return all(key).stream().map(Record::decode).toList();
    }

    /** A decimal integer field; absent gives the fallback, garbage is a protocol error. */
    public long number(String key, long fallback) {
        Optional<String> s = string(key);
        if (s.isEmpty()) return fallback;
        String v = s.get();
        if (v.isEmpty() || v.length() > 20) throw new GuestProtocolException("field " + key + " is not a number");
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new GuestProtocolException("field " + key + " is not a number: " + v);
        }
    }

    public boolean flag(String key) {
        return number(key, 0) != 0;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, byte[]> e : entries) {
            if (sb.length() > 1) sb.append(", ");
            sb.append(e.getKey()).append('=');
            sb.append(e.getValue().length > 64 ? "<" + e.getValue().length + " bytes>"
                    : new String(e.getValue(), StandardCharsets.UTF_8));
        }
        return sb.append('}').toString();
    }

    /** Builds a record; {@code null} values are skipped so optional fields read naturally. */
    public static final class Builder {
        private final List<Map.Entry<String, byte[]>> entries = new ArrayList<>();

        public Builder put(String key, byte[] value) {
            if (value != null) entries.add(Map.entry(key, value));
            return this;
        }

        public Builder put(String key, String value) {
            return value == null ? this : put(key, value.getBytes(StandardCharsets.UTF_8));
        }

        public Builder put(String key, long value) {
            return put(key, Long.toString(value));
        }

        public Builder put(String key, boolean value) {
            return put(key, value ? "1" : "0");
        }

        public Builder putAll(String key, Iterable<String> values) {
            for (String v : values) put(key, v);
            return this;
        }

        public Record build() {
            return new Record(List.copyOf(entries));
        }
    }
}
