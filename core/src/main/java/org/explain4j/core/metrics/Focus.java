package org.explain4j.core.metrics;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.io.Npy;

/**
 * Focus (Arias-Duart et al. 2022, "Focus! Rating XAI methods and finding biases"): on a mosaic of
 * four quadrants (top-left, top-right, bottom-left, bottom-right; halves H//2 and W//2) labelled
 * 0/1 per example by {@code custom-batch}, the share of positive attribution in the labelled
 * quadrants, {@code sum(a+ in labelled) / (sum(a+) + 1e-9)}. No mask and no model call; an example
 * with no labelled quadrant scores 0.
 */
final class Focus extends BaseMetric {
    static final String NAME = "focus";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.LOCALISATION, "Quantus 0.6.0 Focus",
                "share of positive attribution in the mosaic quadrants of the target class",
                "The input is a 2x2 mosaic; custom-batch labels the quadrants that show the target class. The score is "
                        + "the share of positive relevance that falls in those quadrants. Higher is better.",
                List.of(new ParamSpec("custom-batch", org.explain4j.core.catalog.ParamType.STRING, Optional.empty(), true,
                                ParamSpec.Range.ANY, List.of(), ".npy of shape (N, 4): 0/1 per quadrant (TL, TR, BL, BR)",
                                ParamSpec.Role.OPTION, java.util.Map.of()),
                        QuantusParams.abs(false), QuantusParams.normalise(true)),
                false, false, false, "(N,)", Optional.of(true), Focus::new);
    }

    Focus(Params params) {
        super(NAME, params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        d.requireImage(NAME);
        Tensor labels = Npy.read(Path.of(params.string("custom-batch")), "custom-batch");
        if (labels.rank() != 2 || labels.dim(0) != d.size() || labels.dim(1) != 4) {
            throw Explain4jException.shape("custom-batch", "custom-batch has shape " + Tensor.shapeString(labels.shape())
                    + "; pass (" + d.size() + ", 4): one 0/1 label per quadrant per example");
        }
        double[][] c = ExampleData.rows(labels);
        double[][] a = preprocessed(d);
        double[] out = new double[d.size()];
        for (int n = 0; n < out.length; n++) {
            out[n] = score(a[n], c[n], d.channels(), d.height(), d.width());
        }
        return perExample(out, Optional.empty(), 0);
    }

    static double score(double[] a, double[] quadrants, int channels, int h, int w) {
        int halfH = h / 2;
        int halfW = w / 2;
        double total = 0;
        double target = 0;
        for (int ch = 0; ch < channels; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double v = Math.max(0, a[(ch * h + y) * w + x]);
                    int q = (y < halfH ? 0 : 2) + (x < halfW ? 0 : 1);
                    total += v;
                    target += quadrants[q] * v;
                }
            }
        }
        return target / (total + 1e-9);
    }
}
