package dev.wrenn.sdk;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What to create a capsule with. Every field is optional: an unset (null) field is not sent, so
 * the server's default applies (template {@code minimal}, 1 vCPU, 512 MiB, no auto-pause).
 *
 * <pre>{@code
 * CreateCapsuleParams p = CreateCapsuleParams.builder()
 *         .template("base-python").vcpus(2).memoryMb(1024).timeoutSec(300).build();
 * }</pre>
 *
 * @param template template or snapshot name; null for the server's default
 * @param vcpus virtual CPUs; null for the default
 * @param memoryMb memory in MiB; null for the default
 * @param timeoutSec inactivity seconds before auto-pause, 0 disables it; null for the default
 * @param metadata string pairs to attach (filterable in listings); empty sends none
 * @param network what the capsule may reach; null for the default (the internet, nothing denied)
 * @param portAccess who may reach its ports through the port proxy; null for the default ({@link PortAccess#PUBLIC})
 * @param autoResume whether a request to one of its ports resumes it when paused; null for the default (false)
 */
public record CreateCapsuleParams(String template, Integer vcpus, Integer memoryMb, Integer timeoutSec,
                                  Map<String, String> metadata, NetworkPolicy network, PortAccess portAccess,
                                  Boolean autoResume) {
    /** Copies {@code metadata}, so the record stays immutable. */
    public CreateCapsuleParams {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** {@return parameters with every field unset: the server's defaults} */
    public static CreateCapsuleParams defaults() {
        return builder().build();
    }

    /** {@return a builder with every field unset} */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link CreateCapsuleParams}; values are checked by the server, which names a bad one. */
    public static final class Builder {
        private String template;
        private Integer vcpus;
        private Integer memoryMb;
        private Integer timeoutSec;
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private Boolean allowInternet;
        private final List<String> allowOut = new ArrayList<>();
        private final List<String> denyOut = new ArrayList<>();
        private PortAccess portAccess;
        private Boolean autoResume;

        private Builder() {}

        /**
         * Sets the template to create from.
         *
         * @param template a built-in template ({@code minimal}, {@code base-python}) or a snapshot's name
         * @return this builder
         */
        public Builder template(String template) {
            this.template = template;
            return this;
        }

        /**
         * Sets the number of virtual CPUs.
         *
         * @param vcpus virtual CPUs (1 to the server's maximum)
         * @return this builder
         */
        public Builder vcpus(int vcpus) {
            this.vcpus = vcpus;
            return this;
        }

        /**
         * Sets the memory size.
         *
         * @param memoryMb memory in MiB (128 to the server's maximum)
         * @return this builder
         */
        public Builder memoryMb(int memoryMb) {
            this.memoryMb = memoryMb;
            return this;
        }

        /**
         * Sets the inactivity timeout (auto-pause).
         *
         * @param timeoutSec seconds without exec, ping or file activity before the capsule is paused; 0 disables
         * @return this builder
         */
        public Builder timeoutSec(int timeoutSec) {
            this.timeoutSec = timeoutSec;
            return this;
        }

        /**
         * Adds metadata pairs.
         *
         * @param metadata string pairs to attach, added to any set before
         * @return this builder
         */
        public Builder metadata(Map<String, String> metadata) {
            this.metadata.putAll(metadata);
            return this;
        }

        /**
         * Adds one metadata pair.
         *
         * @param key metadata key
         * @param value metadata value
         * @return this builder
         */
        public Builder metadata(String key, String value) {
            this.metadata.put(key, value);
            return this;
        }

        /**
         * Sets whether the internet is reachable (default true); without it only {@link #allowOut} is.
         *
         * @param allowInternet false to cut the capsule off from everything not allowed by name
         * @return this builder
         */
        public Builder allowInternet(boolean allowInternet) {
            this.allowInternet = allowInternet;
            return this;
        }

        /**
         * Adds destinations the capsule may reach even without the internet.
         *
         * @param targets IPv4 addresses or CIDRs, or DNS names ({@code *.example.com} for every name below it)
         * @return this builder
         */
        public Builder allowOut(String... targets) {
            allowOut.addAll(List.of(targets));
            return this;
        }

        /**
         * Adds destinations the capsule may never reach (this wins over {@link #allowOut}).
         *
         * @param targets IPv4 addresses or CIDRs, or DNS names
         * @return this builder
         */
        public Builder denyOut(String... targets) {
            denyOut.addAll(List.of(targets));
            return this;
        }

        /**
         * Sets who may reach the capsule's ports through the port proxy.
         *
         * @param portAccess {@link PortAccess#TOKEN} to require the capsule's traffic token on every request
         * @return this builder
         */
        public Builder portAccess(PortAccess portAccess) {
            this.portAccess = portAccess;
            return this;
        }

        /**
         * Sets whether a request to one of the capsule's ports resumes it when it is paused.
         *
         * @param autoResume true to wake it on traffic (the request waits for the resume)
         * @return this builder
         */
        public Builder autoResume(boolean autoResume) {
            this.autoResume = autoResume;
            return this;
        }

        /** {@return the parameters} */
        public CreateCapsuleParams build() {
            boolean networkSet = allowInternet != null || !allowOut.isEmpty() || !denyOut.isEmpty();
            NetworkPolicy network = networkSet ? new NetworkPolicy(allowInternet == null || allowInternet, allowOut, denyOut) : null;
            return new CreateCapsuleParams(template, vcpus, memoryMb, timeoutSec, metadata, network, portAccess, autoResume);
        }
    }
}
