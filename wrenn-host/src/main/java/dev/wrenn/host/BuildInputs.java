package dev.wrenn.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.wrenn.host.storage.FileOps;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Everything the files of a built-in template depend on: two builds from equal inputs are
 * interchangeable, so one made for a data dir serves any other ({@link TemplateCache}). The data
 * dir itself is not among them: a template's files name each other by relative names, and its saved
 * state holds no host path (QEMU runs in the VM's directory, {@link dev.wrenn.host.vmm.VmSpec}). The
 * machine is not among them either (its CPU under KVM, the TSC rate on the kernel's command line):
 * the cache is on the machine's own disk.
 *
 * @param template    the name the template is stored under (a size variant's includes its size)
 * @param imageHash   the hash of the guest image's inputs (kernel, guest agent, packages)
 * @param warmUp      what ran in the guest before the save: its page cache is in the memory file
 * @param layout      the device layout the state was saved with
 * @param accelerator {@code tcg} or {@code kvm}: the CPU state of one does not load into the other
 * @param netdev      what the build VM's network card was plugged into: the state keeps whether it passes
 *                    virtio-net headers ({@link dev.wrenn.host.vmm.NicBackend})
 * @param vmm         the VMM's build, which wrote the state
 */
record BuildInputs(String template, String image, String imageHash, int vcpus, int memoryMb, List<String> warmUp,
                   String layout, String accelerator, List<String> netdev, String vmm) {

    BuildInputs {
        warmUp = List.copyOf(warmUp);
        netdev = List.copyOf(netdev);
    }

    /** A digest of all of them (16 hex digits), which names their build in the cache. */
    String digest() {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(FileOps.JSON.writeValueAsBytes(this));
            return HexFormat.of().formatHex(sha, 0, 8);
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException("cannot digest the inputs of template " + template, e);
        }
    }
}
