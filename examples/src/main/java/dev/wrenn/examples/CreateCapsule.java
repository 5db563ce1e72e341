package dev.wrenn.examples;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.CreateCapsuleParams;

/**
 * Seed 000, "create a capsule": a base-python capsule with 2 vCPUs, 1 GiB and a 5 minute inactivity
 * timeout, waiting until it runs. The API key and URL come from WRENN_API_KEY and WRENN_BASE_URL.
 */
public final class CreateCapsule {
    private CreateCapsule() {}

    public static void main(String[] args) {
        CreateCapsuleParams params = CreateCapsuleParams.builder()
                .template("base-python")
                .vcpus(2)
                .memoryMb(1024)
                .timeoutSec(300) // paused after 5 minutes without exec, ping or file activity
                .build();

        // wait = true: returns once the capsule is running (without it, it is still pending or starting).
        // Closing a Capsule destroys it: the try-with-resources keeps this example from leaving a capsule
        // behind. Without it the capsule lives on, and auto-pauses after its timeout.
        try (Capsule capsule = Capsule.create(params, true)) {
            System.out.println(capsule.id());                // cl-...
            System.out.println(capsule.status());     // running
        }
    }
}
