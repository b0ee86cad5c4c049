package org.explain4j.core.metrics;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.ParamType;

/** Parameters that many Quantus metrics share, with Quantus's names in kebab-case. */
final class QuantusParams {
    private QuantusParams() {
    }

    static ParamSpec abs(boolean dflt) {
        return ParamSpec.bool("abs", dflt, "take |a| of the attribution (after normalise)");
    }

    static ParamSpec normalise(boolean dflt) {
        return ParamSpec.bool("normalise", dflt, "divide each example's attribution by its own max |a|");
    }

    static ParamSpec softmax(boolean dflt) {
        return ParamSpec.bool("softmax", dflt, "score softmax probabilities (true) or logits (false)");
    }

    static ParamSpec perturbBaseline(String dflt) {
        return new ParamSpec("perturb-baseline", ParamType.STRING, Optional.of(dflt), false, ParamSpec.Range.ANY, List.of(),
                "value written into perturbed features: " + PerturbBaseline.NAMES, ParamSpec.Role.OPTION, Map.of());
    }

    static ParamSpec returnNan(boolean dflt) {
        return ParamSpec.bool("return-nan-when-prediction-changes", dflt,
                "a perturbation that changes the predicted class scores NaN");
    }

    static ParamSpec nrSamples(int dflt, String help) {
        return ParamSpec.integer("nr-samples", dflt, ParamSpec.Range.atLeast(1), help).budget();
    }

    static ParamSpec layerOrder(String dflt) {
        return ParamSpec.choice("layer-order", dflt, List.of("top_down", "bottom_up", "independent"),
                "randomise from the output layer down (cascading), from the input up (cascading), or one layer at a time");
    }

    /** A list of integers that may include 0 (class indices). */
    static ParamSpec classes(String name, String help) {
        return new ParamSpec(name, ParamType.INT_LIST, Optional.empty(), false, ParamSpec.Range.atLeast(0), List.of(), help,
                ParamSpec.Role.OPTION, Map.of());
    }
}
