package dev.wrenn.examples;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.CapsuleInfo;
import dev.wrenn.sdk.CreateCapsuleParams;

/**
 * Seed 002, "get a capsule": its current state by id. Run with a capsule id to look at that one;
 * without, it creates a capsule to look at, and destroys it at the end.
 */
public final class GetCapsule {
    private GetCapsule() {}

    public static void main(String[] args) {
        if (args.length > 0) {
            print(Capsule.getInfo(args[0]));
            return;
        }
        try (Capsule capsule = Capsule.create(CreateCapsuleParams.builder().template("minimal").build(), true)) {
            // Fetch metadata by id, without a handle on the capsule
            CapsuleInfo info = Capsule.getInfo(capsule.id());
            print(info);

            // Or refresh it from a handle. (Capsule.connect(id) gives a handle on an existing capsule,
            // resuming it if paused; note that closing that handle destroys the capsule too.)
            System.out.println("status now: " + capsule.getInfo().status());
        }
    }

    private static void print(CapsuleInfo info) {
        System.out.println("id:             " + info.id());
        System.out.println("status:         " + info.status());
        System.out.println("template:       " + info.template());
        System.out.println("vcpus:          " + info.vcpus());
        System.out.println("memory_mb:      " + info.memoryMb());
        System.out.println("timeout_sec:    " + info.timeoutSec());
        System.out.println("created_at:     " + info.createdAt());
        System.out.println("started_at:     " + info.startedAt());      // null until it has run
        System.out.println("last_active_at: " + info.lastActiveAt());   // null until exec, ping or file activity
        System.out.println("last_updated:   " + info.lastUpdated());
    }
}
