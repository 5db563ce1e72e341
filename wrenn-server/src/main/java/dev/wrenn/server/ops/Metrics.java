package dev.wrenn.server.ops;

import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.server.capsule.Capacity;
import dev.wrenn.server.capsule.CapsuleStatus;
import dev.wrenn.server.store.CapsuleStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * What {@code /metrics} shows: capsules by status, lifecycle operations (count and latency by
 * outcome), HTTP requests by route and status, errors by code, open stream sockets, the host's
 * capacity and its use, capsules paused for memory.
 */
public final class Metrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CapsuleStore capsules;
    private final MultiGauge byStatus;
    private final Supplier<HostCapacity> hostCapacity;
    private final AtomicReference<HostCapacity> lastCapacity = new AtomicReference<>();
    private final Counter pressurePauses;

    /** @param hostId the embedded host's, whose capacity {@code hostCapacity} reads */
    public Metrics(CapsuleStore capsules, Supplier<HostCapacity> hostCapacity, Capacity admission, String hostId) {
        this.capsules = capsules;
        this.hostCapacity = hostCapacity;
        this.byStatus = MultiGauge.builder("wrenn_capsules").description("Capsules by status").register(registry);
        this.pressurePauses = Counter.builder("wrenn_memory_pressure_pauses_total")
                .description("Idle capsules with auto-pause paused to make room for memory").register(registry);
        hostGauge("wrenn_host_cpus", "The host's CPUs", HostCapacity::cpus);
        hostGauge("wrenn_host_memory_total_bytes", "The host's memory", h -> mib(h.memoryTotalMb()));
        hostGauge("wrenn_host_memory_free_bytes", "Memory new VMs can take without the kernel paging", h -> mib(h.memoryFreeMb()));
        hostGauge("wrenn_host_vm_memory_bytes", "What one running VM holds on average (resident)", h -> mib(h.vmMemoryMb()));
        hostGauge("wrenn_host_vms", "VMs running: capsules and warm clones", HostCapacity::vms);
        hostGauge("wrenn_host_warm_clones", "Clones waiting in the warm pool", HostCapacity::warmClones);
        hostGauge("wrenn_host_disk_free_bytes", "Free space of the file system holding capsules", h -> mib(h.diskFreeMb()));
        hostGauge("wrenn_host_capsule_room", "How many more capsules of the average size admission lets in now", h -> admission.room(hostId, h));
        Gauge.builder("wrenn_host_memory_reserve_bytes", () -> mib(admission.reserveMb()))
                .description("Free memory admission keeps").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
    }

    /** A gauge over the host's capacity as read at the current scrape. */
    private void hostGauge(String name, String description, ToDoubleFunction<HostCapacity> value) {
        Gauge.builder(name, lastCapacity, ref -> ref.get() == null ? Double.NaN : value.applyAsDouble(ref.get()))
                .description(description).register(registry);
    }

    private static double mib(long mb) {
        return mb * 1024.0 * 1024.0;
    }

    /** An idle capsule was paused to make room for memory. */
    public void pressurePause() {
        pressurePauses.increment();
    }

    /** A lifecycle operation (create, pause, resume, destroy, snapshot, exec...) and how it ended. */
    public void operation(String operation, String outcome, Duration took) {
        Timer.builder("wrenn_operation_seconds").description("Capsule operations by outcome")
                .tags("operation", operation, "outcome", outcome)
                .publishPercentiles(0.5, 0.99)
                .register(registry).record(took);
    }

    public void request(String method, String route, int status, long nanos) {
        Timer.builder("wrenn_http_requests_seconds").description("HTTP requests by route and status")
                .tags("method", method, "route", route, "status", Integer.toString(status))
                .register(registry).record(Duration.ofNanos(nanos));
    }

    public void error(String code) {
        Counter.builder("wrenn_errors_total").description("Error answers by code").tag("code", code)
                .register(registry).increment();
    }

    /** Open stream sockets by endpoint (exec, attach, pty), read from {@code open} at every scrape. */
    public void streams(String endpoint, Supplier<Number> open) {
        Gauge.builder("wrenn_streams_open", open).description("Open stream sockets by endpoint")
                .tag("endpoint", endpoint).register(registry);
    }

    /** The Prometheus text exposition, with capsule counts read from the database and the host's capacity now. */
    public String scrape() {
        lastCapacity.set(hostCapacity.get());
        var counts = capsules.countByStatus();
        byStatus.register(Arrays.stream(CapsuleStatus.values())
                .map(s -> MultiGauge.Row.of(Tags.of("status", s.wire().toLowerCase(Locale.ROOT)), counts.get(s)))
                .toList(), true);
        return registry.scrape();
    }
}
