package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Selectivity (Montavon et al. 2018; Quantus {@code Selectivity}), images: all patches in
 * descending order of attribution sum are set cumulatively to the baseline; the curve of target
 * outputs after each patch (a faster fall is better).
 */
final class Selectivity extends BaseMetric {
    static final String NAME = "selectivity";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS, "Quantus 0.6.0 Selectivity (Montavon et al. 2018)",
                "output curve as patches are removed, most relevant first; a faster fall is better",
                "The patches of region-perturbation, all of them in descending order of attribution sum, set cumulatively "
                        + "to the baseline of the current input; the curve holds f(x_j)[y] after each patch.",
                List.of(ParamSpec.integer("patch-size", 8, ParamSpec.Range.atLeast(1), "side of the square patches"),
                        MetricParams.abs(false), MetricParams.normalise(true), MetricParams.perturbBaseline("black"),
                        MetricParams.softmax(true)),
                false, false, false, "(N, patches)", Optional.empty(), Selectivity::new);
    }

    private final PerturbBaseline baseline;

    Selectivity(Params p) {
        super(NAME, p);
        this.baseline = PerturbBaseline.of(p);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        d.requireImage(NAME);
        double[][] a = preprocessed(d);
        PatchGrid grid = new PatchGrid(d.channels(), d.height(), d.width(), params.integer("patch-size"));
        int[][] patches = RegionPerturbation.patchOrders(grid, a, "morf", in.seed());
        ModelCalls calls = ModelCalls.of(in);
        int steps = grid.count();
        double[] p = RegionPerturbation.patchCurve(calls, NAME, d, grid, patches, steps, baseline, in.seed(),
                params.bool("softmax"));
        return scores(Tensor.ofDoubles(p, d.size(), steps), baseline.random(), in.seed(), Optional.empty(),
                calls.evaluations());
    }
}
