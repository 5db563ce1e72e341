package dev.wrenn.examples;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.CreateCapsuleParams;
import dev.wrenn.sdk.ProcessInfo;
import dev.wrenn.sdk.RunOptions;

/**
 * Seed 003, "pause a capsule": pausing writes the whole VM (memory, processes, disk) to disk and
 * frees its CPU and memory; resuming restores it exactly. This example leaves state in a file and
 * in a running process, pauses, resumes, and shows both are still there.
 */
public final class PauseCapsule {
    private PauseCapsule() {}

    public static void main(String[] args) {
        try (Capsule capsule = Capsule.create(CreateCapsuleParams.builder().template("minimal").build(), true)) {
            // state on disk, and state in memory: a background process that started before the pause
            capsule.commands().run("cat /proc/sys/kernel/random/uuid > state.txt");
            ProcessInfo sleeper = capsule.commands().runInBackground("sleep 3600",
                    RunOptions.builder().tag("sleeper").build());
            System.out.println("state before pause: " + capsule.files().read("state.txt").strip());

            capsule.pause();
            System.out.println("status: " + capsule.status());   // paused

            capsule.resume();
            System.out.println("status: " + capsule.status());   // running
            System.out.println("state after resume: " + capsule.files().read("state.txt").strip());
            boolean alive = capsule.commands().list().stream().anyMatch(p -> p.pid() == sleeper.pid());
            System.out.println("process " + sleeper.pid() + " (" + sleeper.tag() + ") still running: " + alive);
        }
    }
}
