package dev.wrenn.host.image;

import java.nio.file.Path;

/** A built guest image: kernel, initrd (guest agent + modules) and root file system, keyed by the hash of its inputs. */
public record GuestImage(String name, String hash, Path dir) {
    public Path kernel() {
        return dir.resolve("vmlinux");
    }

    public Path initrd() {
        return dir.resolve("initrd.img");
    }

    public Path rootfs() {
        return dir.resolve("rootfs.ext4");
    }
}
