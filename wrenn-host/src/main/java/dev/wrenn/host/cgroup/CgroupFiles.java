package dev.wrenn.host.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Reading and writing cgroup files, and where this process's groups are. */
final class CgroupFiles {
    private CgroupFiles() {}

    /** Writes one value the way the kernel wants it: one write(2) of the whole text. */
    static void write(Path file, String value) throws IOException {
        try {
            Files.writeString(file, value, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IOException("cannot write '" + value + "' to " + file + ": " + e.getMessage(), e);
        }
    }

    static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (IOException gone) {
            return Optional.empty();
        }
    }

    static boolean hasNoProcess(Path group) {
        return read(group.resolve("cgroup.procs")).map(String::isEmpty).orElse(true);
    }

    /**
     * Run time plus run-queue wait of every thread listed in {@code threadsFile}, from
     * {@code /proc/TID/schedstat}; empty when the group is gone. A thread that ended takes its
     * share with it: callers compare readings and ignore a drop.
     */
    static Optional<Long> demandNanos(Path threadsFile) {
        Optional<String> tids = read(threadsFile);
        if (tids.isEmpty()) return Optional.empty();
        long sum = 0;
        for (String tid : tids.get().split("\n")) {
            if (tid.isBlank()) continue;
            String[] f = read(Path.of("/proc", tid.trim(), "schedstat")).orElse("").split(" ");
            if (f.length >= 2) sum += Long.parseLong(f[0]) + Long.parseLong(f[1]);
        }
        return Optional.of(sum);
    }

    /** The child groups of {@code parent}. */
    static List<String> children(Path parent) {
        try (Stream<Path> s = Files.list(parent)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (NoSuchFileException none) {
            return List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** rmdir of a group; false when it still has processes or children. */
    static boolean remove(Path group) {
        try {
            Files.deleteIfExists(group);
            return true;
        } catch (IOException busy) {
            return false;
        }
    }

    /**
     * The mounted cgroup hierarchies of this process, as directories of its own groups: for v1 one
     * per controller (key: the controller), for v2 the key "" ({@code /proc/self/mountinfo} and
     * {@code /proc/self/cgroup}; a hierarchy mounted from a subtree is accounted for).
     */
    static Map<String, Path> ownGroups() throws IOException {
        Map<String, String> own = new TreeMap<>();   // controller list ("" for v2) -> path within the hierarchy
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length == 3) own.put(f[1], f[2]);
        }
        Map<String, Path> dirs = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ", 2);
            if (halves.length < 2) continue;
            String[] pre = halves[0].split(" ");
            String[] post = halves[1].split(" ");
            if (pre.length < 5 || post.length < 3) continue;
            String root = pre[3];
            Path mount = Path.of(pre[4]);
            if (post[0].equals("cgroup2") && own.containsKey("")) {
                relative(own.get(""), root).ifPresent(rel -> dirs.put("", mount.resolve(rel)));
            } else if (post[0].equals("cgroup")) {
                List<String> controllers = new ArrayList<>();
                for (String opt : post[2].split(",")) {
                    if (List.of("cpu", "memory", "pids").contains(opt)) controllers.add(opt);
                }
                String key = own.keySet().stream().filter(k -> List.of(k.split(",")).containsAll(controllers)
                        && !controllers.isEmpty()).findFirst().orElse(null);
                if (key == null) continue;
                String path = own.get(key);
                for (String c : controllers) relative(path, root).ifPresent(rel -> dirs.put(c, mount.resolve(rel)));
            }
        }
        return dirs;
    }

    /** {@code path} (of /proc/self/cgroup) below the mount's {@code root}, without the leading slash. */
    private static Optional<String> relative(String path, String root) {
        if (root.equals("/")) return Optional.of(path.substring(1));
        if (path.equals(root)) return Optional.of("");
        return path.startsWith(root + "/") ? Optional.of(path.substring(root.length() + 1)) : Optional.empty();
    }
}
