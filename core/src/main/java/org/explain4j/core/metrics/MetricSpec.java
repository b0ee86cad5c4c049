package org.explain4j.core.metrics;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.explain4j.core.catalog.ParamBinding;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Everything explain4j knows about one metric, in one place, like {@code MethodSpec} for the
 * methods: name (Quantus's in kebab-case), category, reference, one-line summary, description,
 * typed parameters (the same {@link ParamSpec}s; Quantus's parameter names in kebab-case), what
 * it needs, whether it draws random numbers, its output shape, and its factory.
 *
 * @param name        e.g. {@code faithfulness-correlation}
 * @param category    Quantus's category
 * @param reference   the implementation it matches, e.g. "Quantus 0.6.0 FaithfulnessCorrelation"
 * @param summary     what a good score means, one line
 * @param description a paragraph: the definition and how to read the number
 * @param params      its parameters
 * @param needsMask   localisation metrics need a ground-truth mask
 * @param reExplains  robustness/randomisation metrics call the chosen method again
 * @param random      draws random numbers (a seed makes it reproducible)
 * @param output      the output's shape, e.g. "(N,)" or "(N, ceil(F/f))"
 * @param higherIsBetter true, false, or empty where neither (curves, counts)
 * @param factory     makes the metric from bound parameters
 */
public record MetricSpec(String name, Category category, String reference, String summary, String description,
                         List<ParamSpec> params, boolean needsMask, boolean reExplains, boolean random, String output,
                         Optional<Boolean> higherIsBetter, Factory factory) {
    /** Makes a metric from bound parameters. */
    @FunctionalInterface
    public interface Factory {
        Metric create(Params params);
    }

    public MetricSpec {
        if (name == null || category == null || reference == null || summary == null || description == null
                || params == null || output == null || higherIsBetter == null || factory == null) {
            throw new IllegalArgumentException("every field of metric " + name + " is required");
        }
        params = List.copyOf(params);
        Set<String> names = new LinkedHashSet<>();
        for (ParamSpec p : params) {
            if (!names.add(p.name())) {
                throw new IllegalArgumentException(name + " declares parameter " + p.name() + " twice");
            }
        }
    }

    public Optional<ParamSpec> param(String n) {
        return params.stream().filter(p -> p.name().equals(n)).findFirst();
    }

    /**
     * Checks the given values and fills in the defaults (the same rules as the methods'
     * catalogue: unknown or inapplicable parameter, wrong type, out of range, missing required).
     */
    public Params bind(Map<String, ?> given) {
        return ParamBinding.bind(name, params, given);
    }
}
