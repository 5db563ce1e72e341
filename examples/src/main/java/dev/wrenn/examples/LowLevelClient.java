package dev.wrenn.examples;

import dev.wrenn.sdk.CapsuleInfo;
import dev.wrenn.sdk.CreateCapsuleParams;
import dev.wrenn.sdk.Template;
import dev.wrenn.sdk.WrennClient;
import java.time.Duration;

/**
 * Seed 004, "low-level client", synchronous: every capsule and snapshot operation through
 * {@link WrennClient}, one blocking call each, without a {@link dev.wrenn.sdk.Capsule} handle.
 */
public final class LowLevelClient {
    private LowLevelClient() {}

    public static void main(String[] args) {
        // new WrennClient() reads WRENN_API_KEY and WRENN_BASE_URL; new WrennClient(apiKey, baseUrl) takes them.
        // Closing the client closes its connection pool (it does not touch the capsules).
        try (WrennClient client = new WrennClient()) {
            // Create: answers at once, while the capsule is still pending or starting
            CapsuleInfo capsule = client.capsules().create(CreateCapsuleParams.builder().template("minimal").build());
            String id = capsule.id();
            System.out.println("created " + id + ": " + capsule.status());
            try {
                // (create(params, true) would have waited for this itself)
                capsule = client.capsules().waitUntilRunning(id, Duration.ofMinutes(2));
                System.out.println("running since " + capsule.startedAt());
                System.out.println("get " + id + ": " + client.capsules().get(id).status());

                System.out.println("list: " + client.capsules().list().size() + " capsules in the team");

                client.capsules().ping(id); // resets the inactivity timer
                System.out.println("pinged " + id);

                // Snapshot the running capsule into a template (it keeps running), list, delete
                Template snapshot = client.snapshots().create(id, "snap-" + id);
                System.out.println("snapshot " + snapshot.name() + " (" + snapshot.type() + ", " + snapshot.sizeBytes() + " bytes)");
                for (Template t : client.snapshots().list()) {
                    System.out.println("  template " + t.name() + (t.builtIn() ? " (built-in)" : ""));
                }
                client.snapshots().delete(snapshot.name());
                System.out.println("deleted snapshot " + snapshot.name());

                System.out.println("pause " + id + ": " + client.capsules().pause(id).status());
                System.out.println("resume " + id + ": " + client.capsules().resume(id).status());
            } finally {
                client.capsules().destroy(id); // for good; its record stays, as stopped
                System.out.println("destroyed " + id + ": " + client.capsules().get(id).status());
            }
        }
    }
}
