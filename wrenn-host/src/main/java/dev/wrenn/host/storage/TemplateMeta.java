package dev.wrenn.host.storage;

import dev.wrenn.host.vmm.VmSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot template as stored in {@code templates/NAME/template.json}: its frozen disk chain,
 * memory file and device state, and the resources every capsule made from it gets.
 *
 * @param type      {@code base} for the built-in templates booted from an image, {@code snapshot} for a capsule's
 * @param imageHash the guest image a built-in template was booted from (rebuilt when it changes)
 * @param layout    the VMM's device layout its state was saved with (a built-in template is rebuilt when the VMM's changes)
 * @param frozen    whether its guest's file systems are frozen in its state (saved before freezing was dropped:
 *                  null in those records, read as true); clones of such a template get a THAW
 */
public record TemplateMeta(String name, String type, boolean builtIn, int vcpus, int memoryMb, List<String> layers,
                           Instant createdAt, String sourceCapsuleId, String imageHash, long sizeBytes, String layout,
                           Boolean frozen) {
    public static final String FILE = "template.json";
    public static final String MEMORY = "memory.ram";
    public static final String STATE = "template.state";

    public TemplateMeta {
        layers = List.copyOf(layers);
        if (layout == null) layout = StoredLayout.BEFORE_LAYOUTS;
        if (frozen == null) frozen = true;
    }

    public String topLayer() {
        return layers.get(layers.size() - 1);
    }

    /** The files capsules are restored from: its disk chain, memory, device state, kernel and initrd. */
    public List<String> files() {
        List<String> files = new ArrayList<>(layers);
        files.addAll(List.of(MEMORY, STATE, VmSpec.KERNEL, VmSpec.INITRD));
        return files;
    }
}
