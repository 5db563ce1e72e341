package dev.wrenn.examples;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.CapsuleInfo;
import java.util.List;

/** Seed 001, "list capsules": every capsule of the team, in every status, newest first. */
public final class ListCapsules {
    private ListCapsules() {}

    public static void main(String[] args) {
        List<CapsuleInfo> capsules = Capsule.list();
        System.out.println("capsules: " + capsules.size());
        for (CapsuleInfo c : capsules) {
            System.out.println(c.id() + " " + c.status());
        }
    }
}
