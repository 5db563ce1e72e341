package dev.wrenn.server.ops;

import dev.wrenn.server.capsule.CapsuleStatus;
import dev.wrenn.server.store.CapsuleStore;
import io.micrometer.core.instrument.Counter;
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

/**
 * What {@code /metrics} shows: capsules by status, lifecycle operations (count and latency by
 * outcome), HTTP requests by route and status, errors by code, open stream sockets.
 */
public final class Metrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CapsuleStore capsules;
    private final MultiGauge byStatus;

    public Metrics(CapsuleStore capsules) {
        this.capsules = capsules;
        this.byStatus = MultiGauge.builder("wrenn_capsules").description("Capsules by status").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
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
    public void streams(String endpoint, java.util.function.Supplier<Number> open) {
        io.micrometer.core.instrument.Gauge.builder("wrenn_streams_open", open).description("Open stream sockets by endpoint")
                .tag("endpoint", endpoint).register(registry);
    }

    /** The Prometheus text exposition, with capsule counts read from the database now. */
    public String scrape() {
        var counts = capsules.countByStatus();
        byStatus.register(Arrays.stream(CapsuleStatus.values())
                .map(s -> MultiGauge.Row.of(Tags.of("status", s.wire().toLowerCase(Locale.ROOT)), counts.get(s)))
                .toList(), true);
        return registry.scrape();
    }
}
