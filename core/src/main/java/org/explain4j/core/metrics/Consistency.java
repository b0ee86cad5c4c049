package org.explain4j.core.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Consistency (Dasgupta et al. 2022, "Framework for evaluating faithfulness of local
 * explanations"), as Quantus 0.6.0: each attribution is discretised (default {@code top-n-sign}:
 * the signs of its first n flattened elements), and example i scores the share of the other
 * examples with the same discretised explanation that also have the same predicted class,
 * {@code sum_j [c_j = c_i][l_j = l_i] / (sum_j [l_j = l_i] + 1e-9)}, j != i. Quantus compares the
 * examples within each batch of 64; explain4j compares all examples of the input (the same for
 * up to 64 examples), so a score never depends on the batch size.
 */
final class Consistency extends BaseMetric {
    static final String NAME = "consistency";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.ROBUSTNESS, "Quantus 0.6.0 Consistency",
                "how often examples with the same discretised explanation share the predicted class",
                "Discretises each explanation (default: signs of its first 5 elements) and, among the other examples with "
                        + "the same discretised explanation, counts the share predicted as the same class. Higher is better.",
                List.of(ParamSpec.choice("discretise-func", "top-n-sign", List.of("top-n-sign", "sign", "floating-points", "rank"),
                                "top-n-sign: signs of the first n elements; sign: all signs; floating-points: values rounded "
                                        + "to n decimals; rank: the descending order"),
                        ParamSpec.integer("n", 5, ParamSpec.Range.atLeast(0),
                                "elements kept by top-n-sign (default 5), decimals of floating-points (give 2 for Quantus's)")
                                .when("discretise-func", "top-n-sign", "floating-points"),
                        QuantusParams.abs(true), QuantusParams.normalise(true)),
                false, false, false, "(N,)", Optional.of(true), Consistency::new);
    }

    Consistency(Params params) {
        super(NAME, params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        ModelCalls calls = ModelCalls.of(in);
        double[][] a = preprocessed(d);
        int n = d.size();
        double[][] labels = new double[n][];
        String func = params.string("discretise-func");
        int digits = params.isGiven("n") ? params.integer("n") : func.equals("floating-points") ? 2 : 5;
        for (int i = 0; i < n; i++) {
            labels[i] = discretise(a[i], func, digits);
        }
        int[] predicted = NoisySamples.predictions(calls, d.x(), d.size());
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double same = 0;
            double both = 0;
            for (int j = 0; j < n; j++) {
                if (j != i && Arrays.equals(labels[i], labels[j])) {
                    same++;
                    if (predicted[j] == predicted[i]) {
                        both++;
                    }
                }
            }
            out[i] = both / (same + 1e-9);
        }
        return perExample(out, Optional.empty(), calls.evaluations());
    }

    /** Quantus's discretisation functions; -0.0 is written as 0.0 so that equal values compare equal. */
    static double[] discretise(double[] a, String func, int n) {
        double[] out;
        switch (func) {
            case "sign" -> out = Arrays.stream(a).map(Math::signum).toArray();
            case "floating-points" -> {
                double scale = Math.pow(10, n);
                out = Arrays.stream(a).map(v -> Math.rint(v * scale) / scale).toArray();
            }
            case "rank" -> {
                int[] asc = Attributions.ascending(SignedZeros.canonical(new double[][] {a.clone()})[0]);
                out = new double[a.length];
                for (int i = 0; i < asc.length; i++) {
                    out[i] = asc[asc.length - 1 - i];
                }
            }
            default -> out = Arrays.stream(a, 0, Math.min(n, a.length)).map(Math::signum).toArray();
        }
        for (int i = 0; i < out.length; i++) {
            out[i] += 0.0;
        }
        return out;
    }
}
