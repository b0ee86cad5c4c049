package org.explain4j.core.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Relative output stability (Agarwal et al. 2022), as Quantus 0.6.0: as
 * {@link RelativeInputStability} with the denominator {@code ||h(x) - h(x_s)||_2} over the
 * model's outputs (logits; probabilities with {@code softmax}), eps when it is 0.
 */
final class RelativeOutputStability extends BaseMetric {
    static final String NAME = "relative-output-stability";

    static MetricSpec spec() {
        List<ParamSpec> p = new ArrayList<>(RelativeInputStability.stabilityParams());
        p.add(QuantusParams.softmax(false));
        return new MetricSpec(NAME, Category.ROBUSTNESS, "Quantus 0.6.0 RelativeOutputStability",
                "largest relative change of the explanation over the change of the model's outputs",
                "Adds small one-sided uniform noise, recomputes the explanation and reports the largest ratio of the "
                        + "explanation's relative change to the change of the output logits. Lower is more stable.",
                p, false, true, true, "(N,)", Optional.of(false), RelativeOutputStability::new);
    }

    RelativeOutputStability(Params params) {
        super(NAME, params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        return RelativeInputStability.run(in, params, NAME, true);
    }
}
