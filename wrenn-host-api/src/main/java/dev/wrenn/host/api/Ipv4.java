package dev.wrenn.host.api;

/** IPv4 addresses as ints (network order: the first octet is the high byte). */
public final class Ipv4 {
    private Ipv4() {
    }

    /** The address, or null when {@code text} is not four decimal octets. */
    public static Integer parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) return null;
        int ip = 0;
        for (String p : parts) {
            if (!p.matches("\\d{1,3}")) return null;
            int octet = Integer.parseInt(p);
            if (octet > 255) return null;
            ip = ip << 8 | octet;
        }
        return ip;
    }

    static boolean looksNumeric(String text) {
        return !text.isEmpty() && text.chars().allMatch(c -> c == '.' || Character.isDigit(c));
    }

    public static String text(int ip) {
        return (ip >>> 24) + "." + (ip >>> 16 & 255) + "." + (ip >>> 8 & 255) + "." + (ip & 255);
    }
}
