package org.explain4j.core.metrics;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.ParamType;

/**
 * The parameters many metrics share, with Quantus's names in kebab-case (their defaults differ
 * per metric: golden/metrics README, "Defaults").
 */
public final class MetricParams {
    private MetricParams() {
    }

    public static ParamSpec abs(boolean def) {
        return ParamSpec.bool("abs", def, "take |a| of the (normalised) attribution before scoring");
    }

    public static ParamSpec normalise(boolean def) {
        return ParamSpec.bool("normalise", def, "divide each example's attribution by its own max |a| before scoring");
    }

    public static ParamSpec softmax(boolean def) {
        return ParamSpec.bool("softmax", def, "score the target's softmax probability (true) or its logit (false)");
    }

    /** {@code perturb-baseline}: black, white, mean, uniform or a number. */
    public static ParamSpec perturbBaseline(String def) {
        return new ParamSpec("perturb-baseline", ParamType.STRING, Optional.of(def), false, ParamSpec.Range.ANY, List.of(),
                "value written into perturbed features: " + PerturbBaseline.NAMES
                        + " (black = the example's minimum, white = its maximum)",
                ParamSpec.Role.OPTION, Map.of());
    }

    public static ParamSpec featuresInStep() {
        return ParamSpec.integer("features-in-step", 1, ParamSpec.Range.atLeast(1),
                "features perturbed per step (must divide H*W, or F for tabular input)");
    }

    public static ParamSpec returnAggregate(boolean def) {
        return ParamSpec.bool("return-aggregate", def, "return the mean over examples, shape (1,), instead of one score each");
    }

    /** An integer list parameter with a default and range. */
    public static ParamSpec ints(String name, int[] def, ParamSpec.Range range, String help) {
        return new ParamSpec(name, ParamType.INT_LIST, Optional.of(def), false, range, List.of(), help,
                ParamSpec.Role.OPTION, Map.of());
    }

    /** An optional file or name parameter (a path to a .npy, or a keyword). */
    public static ParamSpec text(String name, String def, String help) {
        return new ParamSpec(name, ParamType.STRING, Optional.ofNullable(def), false, ParamSpec.Range.ANY, List.of(), help,
                ParamSpec.Role.OPTION, Map.of());
    }
}
