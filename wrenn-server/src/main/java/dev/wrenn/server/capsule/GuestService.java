package dev.wrenn.server.capsule;

import dev.wrenn.host.api.ExecRequest;
import dev.wrenn.host.api.ExecResult;
import dev.wrenn.host.api.FileEntry;
import dev.wrenn.host.api.Guest;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.ProcessInfo;
import dev.wrenn.host.api.ProcessStream;
import dev.wrenn.server.hosts.Hosts;
import dev.wrenn.server.ops.Metrics;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Running code and using files in a capsule (api.md §6). Every call counts as activity and keeps
 * the capsule from being paused for inactivity while it runs.
 */
public final class GuestService {
    private static final int SIGKILL = 9;
    /** How long a SIGKILL waits for the guest to reap its process before answering anyway. */
    private static final Duration KILL_REAP_WAIT = Duration.ofSeconds(2);

    /** How long exec, files and processes wait for a capsule that is still booting. */
    public static final Duration WAIT_FOR_RUNNING = Duration.ofSeconds(30);
    private static final String HOME = "/root";

    /**
     * A command after validation. {@code tag}: the process's name (null: generated where one is needed);
     * {@code detach}: it outlives the stream that started it.
     */
    public record Command(String cmd, List<String> args, Map<String, String> envs, String cwd, int timeoutSec,
                          byte[] stdin, boolean background, boolean detach, String tag) {}

    /** A terminal to open: {@code cmd} null = /bin/bash, or /bin/sh where there is no bash. */
    public record TerminalRequest(String cmd, List<String> args, Map<String, String> envs, String cwd, int rows, int cols) {}

    public record Started(int pid, String tag) {}

    private final CapsuleService capsules;
    private final Hosts hosts;
    private final ActivityTracker activity;
    private final Metrics metrics;

    public GuestService(CapsuleService capsules, Hosts hosts, ActivityTracker activity, Metrics metrics) {
        this.capsules = capsules;
        this.hosts = hosts;
        this.activity = activity;
        this.metrics = metrics;
    }

    public ExecResult exec(String teamId, String id, Command cmd) {
        long t0 = System.nanoTime();
        String outcome = "error";
        try {
            ExecResult r = withGuest(teamId, id, "running " + cmd.cmd() + " in capsule " + id,
                    g -> g.run(request(cmd).build()));
            outcome = r.timedOut() ? "timeout" : "ok";
            return r;
        } finally {
            metrics.operation("exec", outcome, Duration.ofNanos(System.nanoTime() - t0));
        }
    }

    public Started start(String teamId, String id, Command cmd) {
        String tag = cmd.tag() != null ? cmd.tag() : newTag("proc-");
        ProcessInfo p = withGuest(teamId, id, "starting " + cmd.cmd() + " in capsule " + id,
                g -> g.startBackground(request(cmd).background(tag).build()));
        return new Started(p.pid(), p.tag() == null ? tag : p.tag());
    }

    /**
     * Starts a command whose output the caller streams. The capsule counts as in use (never paused
     * for inactivity) until the stream is closed; closing it kills the process unless it is detached.
     */
    public ProcessStream startStream(String teamId, String id, Command cmd) {
        String tag = cmd.tag() != null ? cmd.tag() : cmd.detach() ? newTag("proc-") : null;
        return stream(teamId, id, "starting " + cmd.cmd() + " in capsule " + id, true,
                g -> g.start(request(cmd).tag(tag).detach(cmd.detach()).build()));
    }

    /** Follows a process by pid or tag (with the last 64 KiB of its output first when {@code replay}); it runs on when closed. */
    public ProcessStream attach(String teamId, String id, String pidOrTag, boolean replay) {
        return stream(teamId, id, "process " + pidOrTag + " in capsule " + id, false, g -> g.attach(pidOrTag, replay));
    }

    /** Opens a terminal: a detached process tagged {@code pty-...} that closing the stream does not end. */
    public ProcessStream openTerminal(String teamId, String id, TerminalRequest t) {
        String tag = newTag("pty-");
        return stream(teamId, id, "opening a terminal in capsule " + id, false, g -> {
            try {
                return g.start(terminal(t, t.cmd() == null ? "/bin/bash" : t.cmd(), tag));
            } catch (HostException e) {
                if (t.cmd() != null || e.error() != HostError.NOT_FOUND) throw e;
                return g.start(terminal(t, "/bin/sh", tag));
            }
        });
    }

    private static ExecRequest terminal(TerminalRequest t, String program, String tag) {
        ExecRequest.Builder b = ExecRequest.command(program, t.args().toArray(String[]::new)).env(t.envs())
                .timeout(Duration.ZERO).pty(t.rows(), t.cols()).detach(true).tag(tag);
        if (t.cwd() != null) b.cwd(resolve(t.cwd()));
        return b.build();
    }

    private ProcessStream stream(String teamId, String id, String what, boolean holdsCapsule, Function<Guest, ProcessStream> open) {
        Host host = hosts.of(capsules.usable(teamId, id, WAIT_FOR_RUNNING).hostId());
        ActivityTracker.Use use = holdsCapsule ? activity.use(id) : null;
        try {
            return new ActiveStream(open.apply(host.guest(id)), activity, id, use);
        } catch (RuntimeException e) {
            if (use != null) use.close();
            throw HostErrors.map(e, what);
        }
    }

    private static String newTag(String prefix) {
        return prefix + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }

    public List<ProcessInfo> processes(String teamId, String id) {
        return withGuest(teamId, id, "listing the processes of capsule " + id, Guest::processes);
    }

    /**
     * Signals a process (group) by pid or tag; 404 when there is none. After a SIGKILL it waits (a
     * moment at most) until the guest has reaped the process, so a listing right after no longer
     * shows it; other signals may be caught, and return at once.
     */
    public void kill(String teamId, String id, String pidOrTag, int signal) {
        withGuest(teamId, id, "process " + pidOrTag + " in capsule " + id, g -> {
            g.signal(pidOrTag, signal);
            if (signal == SIGKILL) awaitGone(g, pidOrTag);
            return null;
        });
    }

    private static void awaitGone(Guest g, String pidOrTag) {
        long deadline = System.nanoTime() + KILL_REAP_WAIT.toNanos();
        while (g.processes().stream().anyMatch(p -> pidOrTag.equals(p.tag()) || pidOrTag.equals(Integer.toString(p.pid())))
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    public long write(String teamId, String id, String path, InputStream data) {
        String p = resolve(path);
        return withGuest(teamId, id, "writing " + p, g -> g.writeFile(p, data, 0644));
    }

    /** Streams the file into what {@code sink} opens once the first byte is there (so a missing file is still a 404). */
    public long read(String teamId, String id, String path, OutputStream sink) {
        String p = resolve(path);
        return withGuest(teamId, id, "reading " + p, g -> g.readFile(p, sink));
    }

    public List<FileEntry> list(String teamId, String id, String path, int depth) {
        String p = resolve(path);
        return withGuest(teamId, id, "listing " + p, g -> g.list(p, depth));
    }

    public FileEntry mkdir(String teamId, String id, String path) {
        String p = resolve(path);
        return withGuest(teamId, id, "creating directory " + p, g -> g.mkdir(p));
    }

    public void remove(String teamId, String id, String path) {
        String p = resolve(path);
        withGuest(teamId, id, "removing " + p, g -> {
            g.remove(p);
            return null;
        });
    }

    private <T> T withGuest(String teamId, String id, String what, Function<Guest, T> call) {
        Host host = hosts.of(capsules.usable(teamId, id, WAIT_FOR_RUNNING).hostId());
        ActivityTracker.Use use = activity.use(id);
        try {
            return call.apply(host.guest(id));
        } catch (RuntimeException e) {
            throw HostErrors.map(e, what);
        } finally {
            use.close();
        }
    }

    private static ExecRequest.Builder request(Command cmd) {
        ExecRequest.Builder b = ExecRequest.command(cmd.cmd(), cmd.args().toArray(String[]::new))
                .env(cmd.envs())
                .timeout(Duration.ofSeconds(cmd.timeoutSec()));
        if (cmd.cwd() != null) b.cwd(resolve(cmd.cwd()));
        if (cmd.stdin() != null) b.stdin(cmd.stdin());
        return b;
    }

    /** Paths are absolute or relative to the user's home (api.md §6). */
    static String resolve(String path) {
        return path.startsWith("/") ? path : HOME + "/" + path;
    }
}
