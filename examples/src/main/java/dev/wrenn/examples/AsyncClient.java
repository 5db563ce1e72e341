package dev.wrenn.examples;

import dev.wrenn.sdk.AsyncWrennClient;
import dev.wrenn.sdk.CapsuleInfo;
import dev.wrenn.sdk.CreateCapsuleParams;
import dev.wrenn.sdk.Template;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Seed 004, "low-level client", asynchronous: {@link AsyncWrennClient} returns a CompletableFuture
 * from every call at once; no thread waits for the server meanwhile. Composing them replaces the
 * seed's {@code await}s.
 */
public final class AsyncClient {
    private AsyncClient() {}

    public static void main(String[] args) {
        try (AsyncWrennClient client = new AsyncWrennClient()) {
            CreateCapsuleParams params = CreateCapsuleParams.builder().template("minimal").build();

            CompletableFuture<Void> done = client.capsules().create(params, true).thenCompose(capsule -> {
                System.out.println("created " + capsule.id() + ": " + capsule.status());

                // two independent calls in flight at once; thenAcceptBoth runs when both have answered
                CompletableFuture<CapsuleInfo> info = client.capsules().get(capsule.id());
                CompletableFuture<List<Template>> templates = client.snapshots().list();
                CompletableFuture<Void> work = info.thenAcceptBoth(templates, (c, ts) -> {
                    System.out.println("capsule " + c.id() + " runs " + c.template() + " with " + c.memoryMb() + " MiB");
                    ts.forEach(t -> System.out.println("template " + t.name() + " (" + t.type() + ")"));
                });

                // destroy the capsule whether the work succeeded or not, then pass on any failure
                return work.handle((ok, failure) -> client.capsules().destroy(capsule.id()).thenRun(() -> {
                    System.out.println("destroyed " + capsule.id());
                    if (failure != null) throw new CompletionException(failure);
                })).thenCompose(f -> f);
            });

            // the program's only wait: join() blocks until everything above is done (or throws its failure)
            done.join();
        }
    }
}
