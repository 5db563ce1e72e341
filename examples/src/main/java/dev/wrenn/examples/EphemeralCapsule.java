package dev.wrenn.examples;

import dev.wrenn.sdk.Capsule;
import dev.wrenn.sdk.CommandResult;
import dev.wrenn.sdk.FileEntry;
import dev.wrenn.sdk.RunOptions;
import java.util.List;

/**
 * A throwaway capsule: created for one piece of work and destroyed when the try block ends, however
 * it ends. Runs commands and moves files in it.
 */
public final class EphemeralCapsule {
    private EphemeralCapsule() {}

    public static void main(String[] args) {
        // Capsule.create() takes the minimal template and waits until it runs
        try (Capsule capsule = Capsule.create()) {
            System.out.println("capsule " + capsule.id());

            // a shell line; a non-zero exit is a result to look at, not an exception
            CommandResult r = capsule.commands().run("echo hello from $(hostname) && uname -sr");
            System.out.print(r.stdout());
            System.out.println("exit code " + r.exitCode() + " after " + r.durationMs() + " ms");

            // files: paths are absolute or relative to the capsule user's home; parents are created
            capsule.files().write("demo/hello.txt", "Hello, capsule!\n");
            System.out.print("read back: " + capsule.files().read("demo/hello.txt"));
            List<FileEntry> entries = capsule.files().list("demo");
            for (FileEntry e : entries) {
                System.out.println(e.permissions() + " " + e.size() + " " + e.path());
            }

            // commands see the files; environment and working directory per command
            RunOptions options = RunOptions.builder().cwd("demo").env("GREETING", "hi").build();
            System.out.print(capsule.commands().run("echo $GREETING; wc -c < hello.txt", options).stdout());
        } // destroyed here
    }
}
