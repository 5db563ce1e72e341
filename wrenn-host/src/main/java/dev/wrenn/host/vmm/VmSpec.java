package dev.wrenn.host.vmm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything QEMU is started with. The device layout is identical for a boot and every later
 * restore of the same VM, because migration state only loads into the same devices. Paths of
 * files inside {@code dir} are relative: QEMU runs with {@code dir} as its working directory,
 * which also keeps unix socket paths short and qcow2 backing names relocatable.
 *
 * The disk runs with cache=unsafe: QEMU ignores the guest's flushes. A capsule's disk is only ever
 * used together with its memory, which a crash of the host loses anyway, so durability is needed at
 * exactly the points where memory becomes durable too: a pause or a snapshot, where the host agent
 * fsyncs the layer files itself. The guest's fsyncs (a package manager, a database) then cost no
 * host disk flush each.
 *
 * @param layout   the devices: a saved state loads only into the layout it was saved from
 * @param nic      what the network card is plugged into (layouts from 2 on have one)
 * @param loadOnly a VM that is only restored to be saved again (never run) while another VM still holds
 *                 its disk layers: image locking is off for it, since it never writes them
 */
public record VmSpec(String name, Path dir, DeviceLayout layout, int vcpus, int memoryMb, MemoryBacking memory,
                     String disk, NicBackend nic, boolean incoming, boolean loadOnly) {

    public VmSpec(String name, Path dir, DeviceLayout layout, int vcpus, int memoryMb, MemoryBacking memory, String disk,
                  NicBackend nic, boolean incoming) {
        this(name, dir, layout, vcpus, memoryMb, memory, disk, nic, incoming, false);
    }

    /**
     * The card's MAC in the saved state of every template; each capsule's guest replaces it with
     * its own at INIT (docs/guest-protocol.md section 9).
     */
    public static final String TEMPLATE_MAC = "02:77:72:00:00:02";

    public static final String KERNEL = "vmlinux";
    public static final String INITRD = "initrd.img";
    public static final String QMP_SOCKET = "qmp.sock";
    public static final String GUEST_SOCKET = "guest.sock";
    public static final String PID_FILE = "vmm.pid";
    public static final String CONSOLE_LOG = "console.log";
    public static final String VMM_LOG = "vmm.log";
    /** The virtio-serial port the guest agent looks for (docs/guest-protocol.md). */
    public static final String GUEST_PORT = "wrenn.0";
    private static final String KERNEL_CMDLINE = "console=ttyS0 quiet panic=-1 mitigations=off tsc=reliable nowatchdog sysctl.vm.compaction_proactiveness=0 sysctl.vm.stat_interval=10";

    static String kernelCmdline() {
        return HostClock.tscKhz().map(khz -> KERNEL_CMDLINE + " tsc_early_khz=" + khz).orElse(KERNEL_CMDLINE);
    }

    public List<String> qemuArgs(String qemuBinary, Accelerator accel) {
        List<String> a = new ArrayList<>(List.of(qemuBinary, "-name", "wrenn-" + name));
        a.addAll(List.of("-machine", "microvm,memory-backend=mem0" + (layout.version() >= 3 ? ",pit=off" : "")));
        a.addAll(accel.qemuArgs());
        a.addAll(List.of("-smp", Integer.toString(vcpus), "-m", memoryMb + "M"));
        a.addAll(memory.qemuArgs(memoryMb));
        // seccomp: a guest that took over QEMU still cannot gain privileges, change scheduling or
        // resource limits, or use obsolete system calls (spawning stays allowed: saves go through `cat`)
        a.addAll(List.of("-sandbox", "on,obsolete=deny,elevateprivileges=deny,resourcecontrol=deny"));
        a.addAll(List.of("-nographic", "-nodefaults", "-no-user-config", "-no-reboot",
                "-chardev", "file,id=con0,path=" + CONSOLE_LOG + ",append=on", "-serial", "chardev:con0",
                "-kernel", KERNEL, "-initrd", INITRD, "-append", kernelCmdline(),
                "-qmp", "unix:" + QMP_SOCKET + ",server=on,wait=off",
                "-pidfile", PID_FILE,
                "-device", "virtio-serial-device",
                "-chardev", "socket,id=guest0,path=" + GUEST_SOCKET + ",server=on,wait=off",
                "-device", "virtserialport,chardev=guest0,name=" + GUEST_PORT,
                "-drive", "id=disk0,file=" + disk + ",format=qcow2,if=none,cache=unsafe,discard=unmap"
                        + (loadOnly ? ",file.locking=off" : ""),
                "-device", "virtio-blk-device,drive=disk0"));
        if (layout.version() >= 2) {
            a.addAll(nic.netdevArgs());
            a.addAll(List.of("-device", "virtio-net-device,netdev=net0,mac=" + TEMPLATE_MAC));
        }
        if (incoming) a.addAll(List.of("-incoming", "defer"));
        return a;
    }
}
