package dev.wrenn.host.vmm;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which VMM and which set of devices made a saved state: a state loads only into the same devices,
 * so every paused capsule and template records its layout and is restored with exactly that one.
 * Written as {@code driver-version}, e.g. {@code qemu-microvm-1}.
 */
public record DeviceLayout(String driver, int version) {
    private static final Pattern FORM = Pattern.compile("([a-z][a-z0-9-]*)-([0-9]{1,6})");

    public static DeviceLayout parse(String id) {
        Matcher m = FORM.matcher(id == null ? "" : id);
        if (!m.matches()) throw new UnsupportedLayoutException("'" + id + "' is not a device layout");
        return new DeviceLayout(m.group(1), Integer.parseInt(m.group(2)));
    }

    public String id() {
        return driver + "-" + version;
    }

    @Override
    public String toString() {
        return id();
    }
}
