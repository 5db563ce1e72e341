package dev.wrenn.host.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The little of the DNS wire format (RFC 1035) the capsules' resolver reads: the question's name,
 * and the IPv4 addresses and their TTLs in an answer. Every message comes from a guest or answers
 * one, so everything is bounds-checked and a malformed message is just not understood.
 */
final class DnsMessage {
    static final int HEADER = 12;
    static final int TYPE_A = 1;
    static final int RCODE_SERVFAIL = 2;
    static final int RCODE_NXDOMAIN = 3;
    private static final int MAX_NAME = 255;
    private static final int MAX_POINTERS = 16;

    /** An A record of an answer. */
    record Address(int ip, int ttl) {
    }

    private DnsMessage() {
    }

    static int id(byte[] m) {
        return u16(m, 0);
    }

    /** The name asked for, lower case, without the final dot; empty when this is not one plain question. */
    static Optional<String> question(byte[] m, int len) {
        if (len < HEADER || (m[2] & 0x80) != 0 || u16(m, 4) != 1) return Optional.empty();
        StringBuilder name = new StringBuilder();
        int end = readName(m, len, HEADER, name);
        if (end < 0 || end + 4 > len) return Optional.empty();
        return Optional.of(name.toString().toLowerCase(java.util.Locale.ROOT));
    }

    /** The A records anywhere in the answer section (the name asked for and the aliases it led to). */
    static List<Address> addresses(byte[] m, int len) {
        List<Address> found = new ArrayList<>();
        if (len < HEADER) return found;
        int questions = u16(m, 4);
        int answers = u16(m, 6);
        int pos = HEADER;
        for (int i = 0; i < questions && pos >= 0; i++) {
            pos = skipName(m, len, pos);
            pos = pos < 0 || pos + 4 > len ? -1 : pos + 4;
        }
        for (int i = 0; i < answers && pos >= 0; i++) {
            pos = skipName(m, len, pos);
            if (pos < 0 || pos + 10 > len) break;
            int type = u16(m, pos);
            long ttl = u32(m, pos + 4);
            int rdlength = u16(m, pos + 8);
            pos += 10;
            if (pos + rdlength > len) break;
            if (type == TYPE_A && rdlength == 4) {
                found.add(new Address((m[pos] & 255) << 24 | (m[pos + 1] & 255) << 16 | (m[pos + 2] & 255) << 8 | (m[pos + 3] & 255),
                        (int) Math.min(ttl, Integer.MAX_VALUE)));
            }
            pos += rdlength;
        }
        return found;
    }

    /** An answer to {@code query} with no records and {@code rcode}: the question echoed, flags of a recursive server. */
    static byte[] refusal(byte[] query, int len, int rcode) {
        StringBuilder ignored = new StringBuilder();
        int end = readName(query, len, HEADER, ignored);
        int questionEnd = end < 0 ? HEADER : Math.min(end + 4, len);
        byte[] r = java.util.Arrays.copyOf(query, questionEnd);
        r[2] = (byte) (0x80 | (query[2] & 0x79));   // QR, keep opcode and RD
        r[3] = (byte) (0x80 | rcode);                // RA
        int qd = questionEnd > HEADER ? 1 : 0;
        r[4] = 0;
        r[5] = (byte) qd;
        for (int i = 6; i < HEADER; i++) r[i] = 0;
        return r;
    }

    /** Reads a name of hostname characters at {@code pos} into {@code out}; the offset after it, or -1. */
    private static int readName(byte[] m, int len, int pos, StringBuilder out) {
        int end = -1;
        int pointers = 0;
        while (true) {
            if (pos >= len) return -1;
            int l = m[pos] & 255;
            if (l == 0) return end < 0 ? pos + 1 : end;
            if ((l & 0xC0) == 0xC0) {
                if (pos + 1 >= len || ++pointers > MAX_POINTERS) return -1;
                if (end < 0) end = pos + 2;
                pos = (l & 0x3F) << 8 | (m[pos + 1] & 255);
                continue;
            }
            if ((l & 0xC0) != 0 || pos + 1 + l > len) return -1;
            if (out.length() > 0) out.append('.');
            for (int i = pos + 1; i <= pos + l; i++) {
                char c = (char) (m[i] & 255);
                // a dot inside a label would let "a.b" + "c" pass for the name a.b.c
                if (!(Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_')) return -1;
                out.append(c);
            }
            if (out.length() > MAX_NAME) return -1;
            pos += 1 + l;
        }
    }

    private static int skipName(byte[] m, int len, int pos) {
        return readName(m, len, pos, new StringBuilder());
    }

    private static int u16(byte[] m, int at) {
        return (m[at] & 255) << 8 | (m[at + 1] & 255);
    }

    private static long u32(byte[] m, int at) {
        return (long) u16(m, at) << 16 | u16(m, at + 2);
    }
}
