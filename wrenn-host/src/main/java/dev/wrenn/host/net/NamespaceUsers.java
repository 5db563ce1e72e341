package dev.wrenn.host.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Which network namespaces some process is in: one pass over /proc for all of them. */
final class NamespaceUsers {
    private static final Pattern NET = Pattern.compile("net:\\[(\\d+)]");

    private NamespaceUsers() {
    }

    /** The inodes of the namespaces that live processes are in. */
    static Set<Long> namespacesInUse() throws IOException {
        Set<Long> used = new HashSet<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    Matcher m = NET.matcher(Files.readSymbolicLink(p.resolve("ns/net")).toString());
                    if (m.matches()) used.add(Long.parseLong(m.group(1)));
                } catch (IOException e) {
                    // the process ended while we looked
                }
            }
        }
        return used;
    }

    /** The inode of a namespace's bind mount, the number /proc/PID/ns/net names. */
    static long inode(Path netns) throws IOException {
        return ((Number) Files.getAttribute(netns, "unix:ino")).longValue();
    }
}
