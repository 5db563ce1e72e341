package dev.wrenn.server.capsule;

import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.store.SnapshotStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Which template a team means by a name: a built-in one (the same for everybody) or one of the
 * team's own snapshot templates, which the host keeps under a name derived from team and name.
 */
public final class Templates {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}");
    private static final String HOST_PREFIX = "s-";

    /**
     * @param vcpus    the template's fixed size (snapshot templates), or null when the capsule chooses it
     * @param hostId   the host holding a snapshot template (null: every host has it, or the embedded host's from before)
     */
    public record Resolved(String name, String hostName, boolean builtIn, Integer vcpus, Integer memoryMb, String hostId) {}

    private final SnapshotStore snapshots;
    private final Supplier<Set<String>> builtIn;

    /** {@code builtIn}: the names of the templates every host has (asked of a host when needed). */
    public Templates(SnapshotStore snapshots, Supplier<Set<String>> builtIn) {
        this.snapshots = snapshots;
        this.builtIn = builtIn;
    }

    public Resolved resolve(String teamId, String name) {
        requireValidName(name, "template");
        if (isBuiltIn(name)) return new Resolved(name, name, true, null, null, null);
        SnapshotRecord s = snapshots.find(teamId, name)
                .orElseThrow(() -> ApiException.notFound("template '" + name + "' does not exist"));
        return new Resolved(name, s.hostName(), false, s.vcpus(), s.memoryMb(), s.hostId());
    }

    public boolean isBuiltIn(String name) {
        return builtIn.get().contains(name);
    }

    /** 400 unless {@code name} is a template name (api.md §4); it becomes a directory name on the host. */
    public static void requireValidName(String name, String field) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
            throw ApiException.invalid(field + " '" + name + "' is not a valid template name: expected 1 to 64 of"
                    + " [a-zA-Z0-9._-], starting with a letter or digit");
        }
    }

    /** The host's name for a team's template: fixed per (team, name), so a retry finds the same one. */
    public static String hostName(String teamId, String name) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((teamId + "/" + name).getBytes(StandardCharsets.UTF_8));
            return HOST_PREFIX + HexFormat.of().formatHex(h).substring(0, 40);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    /** Whether a host template name is one this control plane made for a team. */
    public static boolean isTeamTemplate(String hostName) {
        return hostName.startsWith(HOST_PREFIX) && hostName.length() == HOST_PREFIX.length() + 40;
    }
}
