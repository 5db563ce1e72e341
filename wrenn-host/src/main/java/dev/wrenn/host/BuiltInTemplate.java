package dev.wrenn.host;

import java.util.List;
import java.util.Optional;

/**
 * The templates every installation has, each booted once from the guest image of the same name
 * and saved. {@code warmUp} runs before the save so that capsules start with it in page cache.
 */
public enum BuiltInTemplate {
    MINIMAL("minimal", List.of("true")),
    BASE_PYTHON("base-python", List.of("python3", "-c", "import json, os, sys"));

    public static final int DEFAULT_VCPUS = 1;
    public static final int DEFAULT_MEMORY_MB = 512;

    private final String templateName;
    private final List<String> warmUp;

    BuiltInTemplate(String templateName, List<String> warmUp) {
        this.templateName = templateName;
        this.warmUp = warmUp;
    }

    public String templateName() {
        return templateName;
    }

    List<String> warmUp() {
        return warmUp;
    }

    public static Optional<BuiltInTemplate> named(String name) {
        for (BuiltInTemplate t : values()) {
            if (t.templateName.equals(name)) return Optional.of(t);
        }
        return Optional.empty();
    }

    /**
     * Other sizes of a built-in template are booted on first use and kept beside it. The
     * {@code @} cannot occur in a user's template name, so variants never collide with them.
     */
    String variantName(int vcpus, int memoryMb) {
        return vcpus == DEFAULT_VCPUS && memoryMb == DEFAULT_MEMORY_MB ? templateName
                : templateName + "@" + vcpus + "x" + memoryMb;
    }
}
