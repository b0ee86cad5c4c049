package org.explain4j.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/** The service's Prometheus metrics ({@code GET /metrics}). */
final class Metrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter evaluations;

    Metrics() {
        evaluations = Counter.builder("explain4j_model_evaluations").description("examples passed through a model "
                + "(forward or backward) for explanations").register(registry);
    }

    /** Counts one answered request and its latency. */
    void request(String method, String route, int status, long nanos) {
        Timer.builder("explain4j_http_requests").description("answered requests and their latency")
                .tag("method", method).tag("route", route).tag("status", Integer.toString(status))
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5)).register(registry)
                .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void evaluations(long n) {
        if (n > 0) {
            evaluations.increment(n);
        }
    }

    void gauge(String name, String help, Supplier<Number> value) {
        Gauge.builder(name, value).description(help).register(registry);
    }

    String scrape() {
        return registry.scrape();
    }
}
