package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.host.storage.FileOps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A host agent that stops while it boots a template (a server stopped during its start, a test
 * JVM that ends) leaves no VM behind: builder VMs run in a session of their own and would
 * otherwise outlive it.
 */
class StoppingDuringABuildTest {
    @Test
    void closingTheHostAgentKillsTheVmOfATemplateBuildInProgress() throws Exception {
        Path dataDir = Files.createTempDirectory(Path.of("/tmp"), "wrenn-stop-");
        try {
            // no template cache: the template must be booted here, not taken from an earlier build
            HostAgent host = HostAgent.start(TestHost.config(dataDir).withWarmPool(0).withTemplateCache(null));
            CompletableFuture<Void> build = CompletableFuture.runAsync(() -> host.ensureBuiltIn(BuiltInTemplate.MINIMAL));
            ProcessHandle vm = awaitBuilderVm(dataDir).orElseThrow(() -> new AssertionError("no builder VM started"));
            host.close();
            assertTrue(vm.onExit().get(10, TimeUnit.SECONDS) != null && !vm.isAlive(), "the builder VM outlived the host agent");
            assertThrows(ExecutionException.class, () -> build.get(30, TimeUnit.SECONDS), "the build did not fail");
            assertFalse(awaitBuilderVm(dataDir, Duration.ofSeconds(2)).isPresent(), "a build started another VM");
        } finally {
            FileOps.deleteTree(dataDir);
        }
    }

    private static Optional<ProcessHandle> awaitBuilderVm(Path dataDir) throws InterruptedException {
        return awaitBuilderVm(dataDir, Duration.ofSeconds(60));
    }

    /** A QEMU process that runs in a directory below {@code dataDir} (VMs run in their own directory). */
    private static Optional<ProcessHandle> awaitBuilderVm(Path dataDir, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> vm = ProcessHandle.allProcesses()
                    .filter(p -> p.info().command().map(c -> c.contains("qemu-system")).orElse(false) && runsIn(p, dataDir))
                    .findFirst();
            if (vm.isPresent()) return vm;
            Thread.sleep(50);
        }
        return Optional.empty();
    }

    private static boolean runsIn(ProcessHandle p, Path dir) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd")).startsWith(dir);
        } catch (java.io.IOException gone) {
            return false;
        }
    }
}
