package dev.wrenn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code wrenn ARGS} in a JVM of its own (as users run it), its stdout and stderr in a log file the test reads. */
final class WrennProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private WrennProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static WrennProcess start(Path log, String... args) throws IOException {
        return start(log, List.of(), args);
    }

    /**
     * {@code wrenn ARGS} started through {@code launcher}, a command that executes the rest of its
     * command line in its own place (e.g. {@code nsenter --net=FILE --}): the process is then the
     * JVM itself, and {@link #kill} is a kill -9 of {@code wrenn}.
     */
    static WrennProcess start(Path log, List<String> launcher, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Dwrenn.repo=" + System.getProperty("wrenn.repo")));
        // the test classpath holds more than one logback-test.xml (the test jars of wrenn-server and
        // wrenn-host): named by its URL, the one this JVM uses is taken without a warning about the others
        java.net.URL logConfig = WrennProcess.class.getResource("/logback-test.xml");
        if (logConfig != null) command.add("-Dlogback.configurationFile=" + logConfig);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new WrennProcess(p, log);
    }

    /** The first group of {@code pattern} in the output, waiting up to {@code timeout} (fails if the process ends first). */
    String await(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = pattern.matcher(output());
            if (m.find()) return m.groupCount() > 0 ? m.group(1) : m.group();
            if (!process.isAlive()) break;
            Thread.sleep(50);
        }
        throw new AssertionError("no " + pattern + " in the output within " + timeout.toSeconds() + " s (process "
                + (process.isAlive() ? "running" : "ended " + process.exitValue()) + "):\n" + output());
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    /** The exit status, waiting up to {@code timeout} for the process to end by itself. */
    int awaitExit(Duration timeout) throws InterruptedException, IOException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + timeout.toSeconds() + " s:\n" + output());
        }
        return process.exitValue();
    }

    /** QEMU processes working in a directory below {@code dir} (every VM runs in its own directory). */
    static List<Long> vmsIn(Path dir) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.contains("qemu-system")).orElse(false))
                .filter(p -> {
                    try {
                        return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd")).startsWith(dir);
                    } catch (IOException gone) {
                        return false;
                    }
                })
                .map(ProcessHandle::pid).toList();
    }

    /** Ends the VMs a test's agents or servers left running below {@code dir} (they outlive their process by design). */
    static void killVmsIn(Path dir) {
        vmsIn(dir).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, and the wait for the process to stop. */
    @Override
    public void close() throws InterruptedException {
        stop(Duration.ofSeconds(60));
    }

    /** SIGTERM, up to {@code timeout} for the process to stop, then kill -9. */
    void stop(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) kill();
    }
}
