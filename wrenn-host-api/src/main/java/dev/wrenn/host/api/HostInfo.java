package dev.wrenn.host.api;

/** What runs the capsules of a host: the VMM and its accelerator ({@code kvm} or {@code tcg}). */
public record HostInfo(String vmm, String accelerator) {
}
