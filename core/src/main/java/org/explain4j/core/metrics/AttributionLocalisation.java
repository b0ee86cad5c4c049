package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Attribution localisation (Kohlbrenner et al. 2020, "Towards best practice in explaining neural
 * network decisions with LRP"): the share of attribution inside the mask,
 * {@code sum(a * s) / (sum(a) + 1e-9)}; NaN for an empty mask or a ratio above 1. With
 * {@code weighted}, times {@code |s| / ((N - 2) * C*H*W)} (Quantus 0.6.0's {@code x_batch[2:].size}).
 */
final class AttributionLocalisation extends MaskMetric {
    static final String NAME = "attribution-localisation";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.LOCALISATION, "Quantus 0.6.0 AttributionLocalisation",
                "share of the attribution that falls inside the ground-truth mask",
                "sum(a inside the mask) / sum(a), with |a| by default; NaN for an empty mask or a share above 1. "
                        + "Higher is better.",
                List.of(ParamSpec.bool("weighted", false, "multiply by the mask's size over (N-2)*C*H*W (Quantus's quirk)"),
                        ParamSpec.real("max-size", 1.0, ParamSpec.Range.between(0, 1),
                                "largest mask share of the input expected (Quantus only warns above it)"),
                        ParamSpec.bool("positive-attributions", false, "clip the attribution at 0 first"),
                        QuantusParams.abs(true), QuantusParams.normalise(true)),
                true, false, false, "(N,)", Optional.of(true), AttributionLocalisation::new);
    }

    AttributionLocalisation(Params params) {
        super(NAME, params, false);
    }

    @Override
    MaskScore scorer(ExampleData d) {
        boolean positive = params.bool("positive-attributions");
        boolean weighted = params.bool("weighted");
        double dataSize = (double) (d.size() - 2) * d.features();
        return (a, s) -> {
            double[] mass = LocalisationSupport.mass(a, s, positive);
            int size = LocalisationSupport.count(s);
            double ratio = mass[0] / (mass[1] + 1e-9);
            if (size == 0 || ratio > 1) {
                ratio = Double.NaN;
            }
            if (weighted) {
                ratio *= size / dataSize;
            }
            return ratio;
        };
    }
}
