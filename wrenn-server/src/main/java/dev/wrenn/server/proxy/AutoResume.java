package dev.wrenn.server.proxy;

import dev.wrenn.server.capsule.CapsuleRecord;
import dev.wrenn.server.capsule.CapsuleService;
import dev.wrenn.server.capsule.CapsuleStatus;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumes paused {@code auto_resume} capsules for the requests that reach their ports: one resume
 * however many requests arrive meanwhile, each waiting for it up to its own limit. The resume runs
 * on apart from the requests, so one that gives up does not abort it.
 */
final class AutoResume {
    private static final Logger log = LoggerFactory.getLogger(AutoResume.class);
    private static final Duration POLL = Duration.ofMillis(50);

    private final CapsuleService capsules;
    private final Map<String, CompletableFuture<Void>> resuming = new ConcurrentHashMap<>();

    AutoResume(CapsuleService capsules) {
        this.capsules = capsules;
    }

    /**
     * Returns once the capsule's resume has ended (it may have failed: the caller reads the status).
     *
     * @throws ProxyFailure 504 when it takes longer than {@code wait}; the resume's own error when it was refused
     */
    void resume(CapsuleRecord c, Duration wait) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> running = resuming.putIfAbsent(c.id(), mine);
        if (running == null) {
            running = mine;
            Thread.ofVirtual().name("auto-resume-" + c.id()).start(() -> run(c, mine, wait));
        }
        try {
            running.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ProxyFailure(504, "capsule " + c.id() + " did not resume within " + wait.toSeconds() + " s");
        } catch (ExecutionException e) {
            ApiException refused = (ApiException) e.getCause();
            throw new ProxyFailure(refused.code().httpStatus(), "capsule " + c.id() + " could not be resumed: " + refused.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProxyFailure(503, "interrupted while capsule " + c.id() + " resumed");
        }
    }

    private void run(CapsuleRecord c, CompletableFuture<Void> done, Duration wait) {
        try {
            log.atInfo().addKeyValue("capsule", c.id()).log("resuming capsule for a request to one of its ports");
            capsules.resume(c.teamId(), c.id());
            done.complete(null);
        } catch (ApiException e) {
            if (e.code() == ErrorCode.INVALID_STATE) {
                // resumed (or being resumed) through the API meanwhile: that resume is as good as this one
                awaitSettled(c.id(), wait);
                done.complete(null);
            } else {
                done.completeExceptionally(e);
            }
        } catch (RuntimeException e) {
            done.completeExceptionally(ApiException.agent("resume failed: " + e.getMessage(), e));
        } finally {
            resuming.remove(c.id(), done);
        }
    }

    /** Until the capsule is no longer a paused one with an operation in flight. */
    private void awaitSettled(String id, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            CapsuleRecord now = capsules.find(id).orElse(null);
            if (now == null || now.status() != CapsuleStatus.PAUSED || now.operation() == null) return;
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
