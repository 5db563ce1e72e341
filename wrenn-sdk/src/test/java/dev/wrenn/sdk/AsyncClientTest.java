package dev.wrenn.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.sdk.ScriptedServer.Answer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The async client holds no thread while it waits: for the server, or between retries. */
class AsyncClientTest {
    @Test
    void manySlowCallsInFlightNeedNoThreadEach() throws Exception {
        ExecutorService two = Executors.newFixedThreadPool(2);
        try (ScriptedServer server = new ScriptedServer();
             AsyncWrennClient client = AsyncWrennClient.builder().apiKey("wrn_test").baseUrl(server.baseUrl())
                     .executor(two).build()) {
            server.always(Answer.json(200, ErrorMappingTest.CAPSULE).after(Duration.ofMillis(500)));
            long t0 = System.nanoTime();
            List<CompletableFuture<CapsuleInfo>> calls = new ArrayList<>();
            for (int i = 0; i < 40; i++) calls.add(client.capsules().get("cl-x"));
            long issuedMs = (System.nanoTime() - t0) / 1_000_000;
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
            long doneMs = (System.nanoTime() - t0) / 1_000_000;
            // waiting for each answer in turn would take 40 x 500 ms
            assertTrue(issuedMs < 2000, "issuing 40 calls took " + issuedMs + " ms; the caller must not wait");
            // 40 calls of 500 ms each on 2 threads would take 10 s if each held a thread while waiting
            assertTrue(doneMs < 4000, "40 concurrent calls took " + doneMs + " ms");
            assertEquals(40, server.received().size());
        } finally {
            two.shutdownNow();
        }
    }

    @Test
    void aFailedCallCompletesExceptionallyWithTheMappedException() throws Exception {
        try (ScriptedServer server = new ScriptedServer();
             AsyncWrennClient client = new AsyncWrennClient("wrn_test", server.baseUrl())) {
            server.always(Answer.error(409, "invalid_state", "capsule cl-x is paused; only running capsules can be paused"));
            CompletionException e = assertThrows(CompletionException.class, () -> client.capsules().pause("cl-x").join());
            WrennConflictException c = assertInstanceOf(WrennConflictException.class, e.getCause());
            assertEquals("invalid_state", c.code());
        }
    }

    @Test
    void retriesAreScheduledNotSlept() throws Exception {
        ExecutorService one = Executors.newSingleThreadExecutor();
        try (ScriptedServer server = new ScriptedServer();
             AsyncWrennClient client = AsyncWrennClient.builder().apiKey("wrn_test").baseUrl(server.baseUrl()).executor(one)
                     .retryDelays(Duration.ofMillis(500), Duration.ofMillis(500)).build()) {
            for (int i = 0; i < 8; i++) server.then(Answer.error(503, "no_capacity", "full"));
            server.always(Answer.json(200, "[]"));
            long t0 = System.nanoTime();
            List<CompletableFuture<List<CapsuleInfo>>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) calls.add(client.capsules().list());
            calls.forEach(CompletableFuture::join);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // each call waits 250-500 ms before its retry: on one thread, sleeping in turn would take 2 s or more
            assertTrue(ms < 1800, "took " + ms + " ms");
            assertEquals(16, server.received().size());
        } finally {
            one.shutdownNow();
        }
    }

    @Test
    void closingTheClientDoesNotWaitForCallsInFlightWhichStillComplete() throws Exception {
        try (ScriptedServer server = new ScriptedServer()) {
            server.always(Answer.json(200, ErrorMappingTest.CAPSULE).after(Duration.ofSeconds(1)));
            AsyncWrennClient client = new AsyncWrennClient("wrn_test", server.baseUrl());
            CompletableFuture<CapsuleInfo> inFlight = client.capsules().get("cl-x");
            long t0 = System.nanoTime();
            client.close();
            assertTrue(System.nanoTime() - t0 < Duration.ofMillis(500).toNanos(), "close() returned at once");
            assertEquals(CapsuleStatus.RUNNING, inFlight.join().status(), "the call in flight completed");
        }
    }
}
