package dev.wrenn.cli;

import dev.wrenn.sdk.CapsuleInfo;
import dev.wrenn.sdk.CommandResult;
import dev.wrenn.sdk.NetworkPolicy;
import dev.wrenn.sdk.Template;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** How the commands show the SDK's objects: API fields for {@code --json} and details, columns for listings. */
final class Views {
    static final Fields<CapsuleInfo> CAPSULE = new Fields<CapsuleInfo>()
            .add("id", CapsuleInfo::id)
            .add("status", c -> c.status().wire())
            .add("template", CapsuleInfo::template)
            .add("vcpus", CapsuleInfo::vcpus)
            .add("memory_mb", CapsuleInfo::memoryMb)
            .add("timeout_sec", CapsuleInfo::timeoutSec)
            .add("created_at", c -> time(c.createdAt()))
            .add("last_updated", c -> time(c.lastUpdated()))
            .add("started_at", c -> time(c.startedAt()))
            .add("last_active_at", c -> time(c.lastActiveAt()))
            .add("status_reason", CapsuleInfo::statusReason)
            .add("metadata", CapsuleInfo::metadata)
            .add("network", c -> network(c.network()))
            .add("port_access", c -> c.portAccess().wire())
            .add("traffic_token", CapsuleInfo::trafficToken)
            .add("auto_resume", CapsuleInfo::autoResume);

    static final Table<CapsuleInfo> CAPSULE_TABLE = new Table<CapsuleInfo>()
            .column("ID", CapsuleInfo::id)
            .column("STATUS", c -> c.status().wire())
            .column("TEMPLATE", CapsuleInfo::template)
            .column("VCPUS", CapsuleInfo::vcpus)
            .column("MEMORY", c -> c.memoryMb() + " MiB")
            .column("CREATED", c -> time(c.createdAt()))
            .column("LAST ACTIVE", c -> time(c.lastActiveAt()))
            .column("REASON", CapsuleInfo::statusReason)
            .column("METADATA", CapsuleInfo::metadata);

    static final Fields<Template> TEMPLATE = new Fields<Template>()
            .add("name", Template::name)
            .add("type", Template::type)
            .add("vcpus", Template::vcpus)
            .add("memory_mb", Template::memoryMb)
            .add("size_bytes", Template::sizeBytes)
            .add("created_at", t -> time(t.createdAt()))
            .add("source_capsule_id", Template::sourceCapsuleId)
            .add("built_in", Template::builtIn);

    static final Table<Template> TEMPLATE_TABLE = new Table<Template>()
            .column("NAME", Template::name)
            .column("TYPE", Template::type)
            .column("VCPUS", Template::vcpus)
            .column("MEMORY", t -> t.memoryMb() + " MiB")
            .column("SIZE", t -> size(t.sizeBytes()))
            .column("CREATED", t -> time(t.createdAt()))
            .column("SOURCE", Template::sourceCapsuleId);

    /** A foreground exec's answer with the API's names; output stays as sent (base64 when {@code encoding} says so). */
    static final Fields<CommandResult> COMMAND_RESULT = new Fields<CommandResult>()
            .add("exit_code", CommandResult::exitCode)
            .add("stdout", CommandResult::stdout)
            .add("stderr", CommandResult::stderr)
            .add("encoding", CommandResult::encoding)
            .add("duration_ms", CommandResult::durationMs)
            .add("timed_out", CommandResult::timedOut)
            .add("truncated", CommandResult::truncated);

    private Views() {}

    /** The API's network object; in text {@code allow_internet=true, allow_out=[…], deny_out=[…]}. */
    private static Map<String, Object> network(NetworkPolicy p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("allow_internet", p.allowInternet());
        m.put("allow_out", p.allowOut());
        m.put("deny_out", p.denyOut());
        return m;
    }

    /** RFC 3339 at the API's second precision, as the server wrote it. */
    private static String time(Instant t) {
        return t == null ? null : t.toString();
    }

    private static String size(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
