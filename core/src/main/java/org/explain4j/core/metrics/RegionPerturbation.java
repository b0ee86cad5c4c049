package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Region perturbation (Samek et al. 2016; Quantus {@code RegionPerturbation}), images: patches of
 * {@code patch-size} (all channels, README padding rule) ordered by their attribution sum (morf:
 * most relevant first, lerf, random); the first {@code regions-evaluation} are set cumulatively to
 * the baseline of the padded current input; the curve of output drops {@code f(x)[y] - f(x_j)[y]}.
 */
final class RegionPerturbation extends BaseMetric {
    static final String NAME = "region-perturbation";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS, "Quantus 0.6.0 RegionPerturbation (Samek et al. 2016)",
                "output drop as the most relevant patches are removed; a faster rise is better (morf)",
                "Non-overlapping patch-size x patch-size patches spanning all channels (the image padded when its size is "
                        + "not a multiple), ordered by attribution sum; the first regions-evaluation patches are set to the "
                        + "baseline of the current input, cumulatively; the curve holds f(x)[y] - f(x_j)[y].",
                List.of(ParamSpec.integer("patch-size", 8, ParamSpec.Range.atLeast(1), "side of the square patches"),
                        ParamSpec.choice("order", "morf", List.of("morf", "lerf", "random"),
                                "patch order: most relevant first, least relevant first, or random"),
                        ParamSpec.integer("regions-evaluation", 100, ParamSpec.Range.atLeast(1), "patches removed").budget(),
                        MetricParams.abs(false), MetricParams.normalise(true), MetricParams.perturbBaseline("black"),
                        MetricParams.softmax(true)),
                false, false, true, "(N, min(regions-evaluation, patches))", Optional.empty(), RegionPerturbation::new);
    }

    private final int patch;
    private final PerturbBaseline baseline;

    RegionPerturbation(Params p) {
        super(NAME, p);
        this.patch = p.integer("patch-size");
        this.baseline = PerturbBaseline.of(p);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        d.requireImage(NAME);
        String order = params.string("order");
        boolean random = baseline.random() || order.equals("random");
        double[][] a = preprocessed(d);
        boolean softmax = params.bool("softmax");
        PatchGrid grid = new PatchGrid(d.channels(), d.height(), d.width(), patch);
        int regions = Math.min(params.integer("regions-evaluation"), grid.count());
        int n = d.size();
        int[][] patches = patchOrders(grid, a, order, in.seed());
        ModelCalls calls = ModelCalls.of(in);
        double[] y = calls.targets(NAME + " (unperturbed)", d.x(), d.targets(), softmax);
        double[] p = patchCurve(calls, NAME, d, grid, patches, regions, baseline, in.seed(), softmax);
        double[] drops = new double[n * regions];
        for (int e = 0; e < n; e++) {
            for (int j = 0; j < regions; j++) {
                drops[e * regions + j] = y[e] - p[e * regions + j];
            }
        }
        return scores(Tensor.ofDoubles(drops, n, regions), random, in.seed(), Optional.empty(), calls.evaluations());
    }

    /** Per example, the patch numbers in {@code order} of their (zero-padded) attribution sums. */
    static int[][] patchOrders(PatchGrid grid, double[][] a, String order, long seed) {
        int[][] out = new int[a.length][];
        for (int e = 0; e < a.length; e++) {
            double[] padded = grid.padZero(a[e]);
            double[] sums = new double[grid.count()];
            for (int k = 0; k < sums.length; k++) {
                sums[k] = grid.sum(padded, k);
            }
            out[e] = switch (order) {
                case "morf" -> Attributions.descending(sums);
                case "lerf" -> Attributions.ascending(sums);
                default -> MetricRandom.sampleWithoutReplacement(MetricRandom.forExample(seed, e, 1), sums.length, sums.length);
            };
        }
        return out;
    }

    /**
     * The target outputs, row {@code e * steps + j}, after cumulatively setting patches
     * {@code patches[e][0..j]} of the edge-padded current input to the baseline of that padded
     * input and cropping.
     */
    static double[] patchCurve(ModelCalls calls, String task, ExampleData d, PatchGrid grid, int[][] patches, int steps,
                               PerturbBaseline baseline, long seed, boolean softmax) {
        int n = d.size();
        SplittableRandom[] rng = new SplittableRandom[n];
        for (int e = 0; e < n; e++) {
            rng[e] = baseline.stream(seed, e);
        }
        CumulativeRows rows = new CumulativeRows(d.x(), steps, (e, j, cur) -> {
            double[] padded = grid.padEdge(cur);
            double v = baseline.of(padded, rng[e]);
            for (int i : grid.indices(patches[e][j])) {
                padded[i] = v;
            }
            grid.crop(padded, cur);
        });
        return calls.targets(task, rows.rows(), rows, row -> row / steps, d::target, softmax);
    }
}
