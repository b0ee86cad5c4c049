package org.explain4j.core.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Explain4jException;

/**
 * The one list of attribution-quality metrics, in Quantus's categories. Each category's entries
 * live in its own registry class ({@code FaithfulnessMetrics}, ...); the command line's
 * {@code evaluate} flags and errors, {@code metrics} listing and its JSON follow from them.
 */
public final class MetricCatalog {
    private static final Map<String, MetricSpec> SPECS = new LinkedHashMap<>();

    static {
        List<MetricSpec> all = new ArrayList<>();
        all.addAll(FaithfulnessMetrics.specs());
        all.addAll(RobustnessMetrics.specs());
        all.addAll(LocalisationMetrics.specs());
        all.addAll(ComplexityMetrics.specs());
        all.addAll(RandomisationMetrics.specs());
        all.addAll(AxiomaticMetrics.specs());
        for (MetricSpec s : all) {
            if (SPECS.put(s.name(), s) != null) {
                throw new IllegalStateException("metric " + s.name() + " is registered twice");
            }
        }
    }

    private MetricCatalog() {
    }

    public static List<MetricSpec> all() {
        return List.copyOf(SPECS.values());
    }

    public static List<String> names() {
        return List.copyOf(SPECS.keySet());
    }

    public static Optional<MetricSpec> find(String name) {
        return Optional.ofNullable(name == null ? null : SPECS.get(name.trim().toLowerCase(Locale.ROOT)));
    }

    /** The metric called {@code name}; an unknown name is a usage error listing the metrics. */
    public static MetricSpec get(String name) {
        return find(name).orElseThrow(() -> Explain4jException.usage("metric", "unknown metric '" + name
                + "'; choose one of " + String.join(", ", names())));
    }
}
