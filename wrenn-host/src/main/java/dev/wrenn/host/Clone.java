package dev.wrenn.host;

import dev.wrenn.host.guest.GuestChannel;
import dev.wrenn.host.net.NetworkSlot;
import dev.wrenn.host.storage.CapsuleMeta;
import dev.wrenn.host.vmm.Vm;
import java.nio.file.Path;

/** A running VM restored from a template, with its guest connected and its network (null: none), not yet handed to anyone. */
record Clone(Path dir, CapsuleMeta meta, Vm vm, GuestChannel guest, NetworkSlot slot) {
}
