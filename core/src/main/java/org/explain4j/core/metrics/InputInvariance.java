package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.model.Model;

/**
 * Input invariance (Kindermans et al. 2017, "The (un)reliability of saliency methods"): a copy of
 * the model whose first convolution's bias absorbs a constant input shift ({@link InputShiftable})
 * computes the same function on {@code x + input-shift} as the model on x (up to the zero-padded
 * borders); score = 1 when the explanation of the shifted model at the shifted input equals the
 * given attribution elementwise ({@code allclose}, atol 1e-4, rtol 1e-5), else 0.
 */
final class InputInvariance extends BaseMetric {
    static final String NAME = "input-invariance";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.AXIOMATIC, "Quantus 0.6.0 InputInvariance",
                "1 when the explanation ignores a constant input shift the model compensates",
                "Shifts the input by a constant and compensates it in the first convolution's bias, so the model's "
                        + "function is unchanged; 1 when the recomputed explanation equals the original one. Higher is better.",
                List.of(ParamSpec.real("input-shift", -1.0, ParamSpec.Range.ANY, "constant added to every input element"),
                        QuantusParams.abs(false), QuantusParams.normalise(false)),
                false, true, false, "(N,) 0/1", Optional.of(true), InputInvariance::new);
    }

    InputInvariance(Params params) {
        super(NAME, params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        ReExplain explain = ReExplain.of(in, NAME);
        if (!(in.model() instanceof InputShiftable shiftable)) {
            throw Explain4jException.usage("model", NAME + " needs a model whose first layer can be edited (an ONNX model "
                    + "with a convolution first)");
        }
        boolean normalise = params.bool("normalise");
        boolean abs = params.bool("abs");
        double shift = params.real("input-shift");
        boolean f32 = in.model().signature().inputType() == DType.FLOAT32;
        double[][] a = Attributions.preprocess(d.a(), normalise, abs);
        double[][] shifted = new double[d.size()][];
        for (int ex = 0; ex < shifted.length; ex++) {
            shifted[ex] = d.x()[ex].clone();
            for (int i = 0; i < shifted[ex].length; i++) {
                double v = shifted[ex][i] + shift;
                shifted[ex][i] = f32 ? (float) v : v;
            }
        }
        double[][] e;
        try (Model m = shiftable.shiftedFirstLayer(shift, d.exampleShape())) {
            e = explain.explain(m, shifted, d.targets(), normalise, abs);
        }
        double[] out = new double[d.size()];
        for (int ex = 0; ex < out.length; ex++) {
            boolean close = true;
            for (int i = 0; i < a[ex].length && close; i++) {
                close = Math.abs(a[ex][i] - e[ex][i]) <= 1e-4 + 1e-5 * Math.abs(e[ex][i]);
            }
            out[ex] = close ? 1 : 0;
        }
        return perExample(out, Optional.empty(), 0);
    }
}
