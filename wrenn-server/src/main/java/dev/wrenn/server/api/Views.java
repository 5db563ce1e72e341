package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.host.api.FileEntry;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.api.ProcessInfo;
import dev.wrenn.server.Json;
import dev.wrenn.server.PolicyJson;
import dev.wrenn.server.auth.ApiKey;
import dev.wrenn.server.capsule.CapsuleRecord;
import dev.wrenn.server.capsule.SnapshotService.TemplateView;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.function.Function;

/** The JSON shapes of api.md, field names and order as written there. */
final class Views {
    private Views() {}

    static ObjectNode capsule(CapsuleRecord c) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", c.id());
        o.put("status", c.status().wire());
        o.put("template", c.template());
        o.put("vcpus", c.vcpus());
        o.put("memory_mb", c.memoryMb());
        o.put("timeout_sec", c.timeoutSec());
        o.put("created_at", time(c.createdAt()));
        o.put("started_at", time(c.startedAt()));
        o.put("last_active_at", time(c.lastActiveAt()));
        o.put("last_updated", time(c.lastUpdated()));
        o.put("status_reason", c.statusReason());
        ObjectNode meta = o.putObject("metadata");
        c.metadata().forEach(meta::put);
        o.set("network", PolicyJson.node(c.network().policy()));
        o.put("port_access", c.network().portAccess().wire());
        o.put("traffic_token", c.network().trafficToken());
        o.put("auto_resume", c.network().autoResume());
        return o;
    }

    static ObjectNode template(TemplateView t) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("name", t.name());
        o.put("type", t.type());
        o.put("vcpus", t.vcpus());
        o.put("memory_mb", t.memoryMb());
        o.put("size_bytes", t.sizeBytes());
        o.put("created_at", time(t.createdAt()));
        o.put("source_capsule_id", t.sourceCapsuleId());
        o.put("built_in", t.builtIn());
        return o;
    }

    /** An API key; {@code secret} only in the answer to its creation. */
    static ObjectNode key(ApiKey k, String secret) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", k.id());
        o.put("name", k.name());
        o.put("key_prefix", k.keyPrefix());
        o.put("created_at", time(k.createdAt()));
        o.put("last_used_at", time(k.lastUsedAt()));
        if (secret != null) o.put("key", secret);
        return o;
    }

    static ObjectNode exec(String capsuleId, String cmd, ExecResult r) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("capsule_id", capsuleId);
        o.put("cmd", cmd);
        boolean text = isUtf8(r.stdout()) && isUtf8(r.stderr());
        o.put("stdout", text ? new String(r.stdout(), StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(r.stdout()));
        o.put("stderr", text ? new String(r.stderr(), StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(r.stderr()));
        o.put("exit_code", r.exitCode());
        o.put("duration_ms", r.durationMs());
        o.put("encoding", text ? "utf-8" : "base64");
        o.put("timed_out", r.timedOut());
        o.put("truncated", r.truncated());
        return o;
    }

    static ObjectNode started(String capsuleId, String cmd, int pid, String tag) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("capsule_id", capsuleId);
        o.put("cmd", cmd);
        o.put("pid", pid);
        o.put("tag", tag);
        return o;
    }

    static ObjectNode process(ProcessInfo p) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("pid", p.pid());
        o.put("tag", p.tag());
        o.put("cmd", p.argv().isEmpty() ? "" : p.argv().get(0));
        ArrayNode args = o.putArray("args");
        p.argv().stream().skip(1).forEach(args::add);
        return o;
    }

    static ObjectNode entry(FileEntry e) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("name", e.name());
        o.put("path", e.path());
        // the contract knows three types; a FIFO, socket or device is listed as a file (its permissions say more)
        o.put("type", e.isDirectory() || "symlink".equals(e.type()) ? e.type() : "file");
        o.put("size", e.size());
        o.put("mode", e.mode());
        o.put("permissions", permissions(e));
        // Unix seconds, as the public Python SDK parses it: the one timestamp that is not ISO 8601 (api.md §6)
        o.put("modified_at", e.modifiedAt().getEpochSecond());
        o.put("symlink_target", e.symlinkTarget());
        return o;
    }

    static <T> ArrayNode array(Collection<T> items, Function<T, ObjectNode> view) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        items.forEach(i -> a.add(view.apply(i)));
        return a;
    }

    /** What a host has and how many more capsules of the average size it admits now, into {@code o}. */
    static ObjectNode capacity(ObjectNode o, HostCapacity h, long room) {
        o.put("cpus", h.cpus());
        o.put("memory_total_mb", h.memoryTotalMb());
        o.put("memory_free_mb", h.memoryFreeMb());
        o.put("vms", h.vms());
        o.put("disk_free_mb", h.diskFreeMb());
        o.put("room", room);
        return o;
    }

    /** Second precision, UTC (api.md §1); null stays null. */
    static String time(Long millis) {
        return millis == null ? null : Instant.ofEpochSecond(Math.floorDiv(millis, 1000L)).toString();
    }

    /** ls-style: the type, then rwx for user, group and others (set-id and sticky bits shown as ls does). */
    static String permissions(FileEntry e) {
        int m = e.mode();
        char type = switch (e.type()) {
            case "directory" -> 'd';
            case "symlink" -> 'l';
            case "file" -> '-';
            default -> '?';
        };
        StringBuilder sb = new StringBuilder().append(type);
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) sb.append((m & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        if ((m & 04000) != 0) sb.setCharAt(3, (m & 0100) != 0 ? 's' : 'S');
        if ((m & 02000) != 0) sb.setCharAt(6, (m & 010) != 0 ? 's' : 'S');
        if ((m & 01000) != 0) sb.setCharAt(9, (m & 01) != 0 ? 't' : 'T');
        return sb.toString();
    }

    private static boolean isUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
