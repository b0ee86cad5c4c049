package org.explain4j.core.metrics;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.io.Npy;

/**
 * Infidelity (Yeh et al. 2019) in two variants. {@code reference quantus} (Quantus
 * {@code Infidelity}), images: for each patch size p, blocks of p x p (all channels, row-major)
 * set cumulatively to the baseline of the current input x'; the mean over blocks of
 * {@code ((f(x)[y] - f(x')[y]) - sum(a * (x - x')))^2}, averaged over patch sizes and
 * {@code n-perturb-samples} repetitions. {@code reference captum} ({@code captum.metrics.infidelity}):
 * perturbations I_k (fixed from a file, or N(0, noise-std^2)), on logits
 * {@code mean_k (sum(a * I_k) - (f(x)[y] - f(x - I_k)[y]))^2}, optionally with Captum's
 * {@code normalize} scaling beta.
 */
final class Infidelity extends BaseMetric {
    static final String NAME = "infidelity";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS,
                "Quantus 0.6.0 Infidelity; Captum captum.metrics.infidelity with reference captum (Yeh et al. 2019)",
                "squared error between attribution-predicted and actual output changes under perturbation; lower is better",
                "Quantus: p x p blocks (for each p in perturb-patch-sizes) are set to the baseline of the current input, "
                        + "cumulatively; the score is the mean of ((f(x)[y] - f(x')[y]) - sum(a * (x - x')))^2. Captum "
                        + "(reference captum): perturbations I_k from a file or N(0, noise-std^2); the score is "
                        + "mean_k (sum(a * I_k) - (f(x)[y] - f(x - I_k)[y]))^2 on logits (normalize: best scaling of a first).",
                List.of(ParamSpec.choice("reference", "quantus", List.of("quantus", "captum"),
                                "whose definition: Quantus's patch replacement or Captum's noise perturbations"),
                        ParamSpec.integer("n-perturb-samples", 10, ParamSpec.Range.atLeast(1),
                                "repetitions (Quantus) or perturbations per example (Captum)").budget(),
                        MetricParams.ints("perturb-patch-sizes", new int[] {4}, ParamSpec.Range.atLeast(1),
                                "patch sides to perturb with (should divide H and W)").when("reference", "quantus"),
                        MetricParams.abs(false).when("reference", "quantus"),
                        MetricParams.normalise(false).when("reference", "quantus"),
                        MetricParams.perturbBaseline("black").when("reference", "quantus"),
                        MetricParams.softmax(false).when("reference", "quantus"),
                        ParamSpec.bool("normalize", false, "Captum's normalize: scale the attribution sums by the best beta first")
                                .when("reference", "captum"),
                        ParamSpec.real("noise-std", 0.1, ParamSpec.Range.atLeast(0),
                                "standard deviation of Captum's Gaussian perturbations").when("reference", "captum"),
                        MetricParams.text("perturbations", null,
                                "a .npy of K fixed perturbations (K, ...one example's shape) used for every example")
                                .when("reference", "captum")),
                false, false, true, "(N,)", Optional.of(false), Infidelity::new);
    }

    private final boolean captum;
    private final int samples;

    Infidelity(Params p) {
        super(NAME, p);
        this.captum = p.string("reference").equals("captum");
        this.samples = p.integer("n-perturb-samples");
        if (!captum) {
            PerturbBaseline.of(p);
        }
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        return captum ? captum(in, d) : quantus(in, d);
    }

    private Scores quantus(MetricInput in, ExampleData d) {
        d.requireImage(NAME);
        PerturbBaseline baseline = PerturbBaseline.of(params);
        int[] sizes = params.ints("perturb-patch-sizes");
        for (int p : sizes) {
            if (p > d.height() || p > d.width()) {
                throw Explain4jException.usage("perturb-patch-sizes", "perturb-patch-sizes " + p + " is larger than the image ("
                        + d.height() + "x" + d.width() + ")");
            }
        }
        double[][] a = preprocessed(d);
        boolean softmax = params.bool("softmax");
        int n = d.size();
        double[][] x = d.x();
        // A deterministic baseline makes every repetition identical: run one.
        int reps = baseline.random() ? samples : 1;
        ModelCalls calls = ModelCalls.of(in);
        double[] y = calls.targets(NAME + " (unperturbed)", x, d.targets(), softmax);
        double[] total = new double[n];
        for (int s = 0; s < reps; s++) {
            for (int pi = 0; pi < sizes.length; pi++) {
                int p = sizes[pi];
                int rows = ceilDiv(d.height(), p);
                int cols = ceilDiv(d.width(), p);
                int blocks = rows * cols;
                SplittableRandom[] rng = new SplittableRandom[n];
                for (int e = 0; e < n; e++) {
                    rng[e] = baseline.random() ? MetricRandom.forExample(in.seed(), e, s * sizes.length + pi) : null;
                }
                int c = d.channels();
                int h = d.height();
                int w = d.width();
                double[] dot = new double[n * blocks];
                CumulativeRows cr = new CumulativeRows(x, blocks, (e, b, cur) -> {
                    double v = baseline.of(cur, rng[e]);
                    int r0 = (b / cols) * p;
                    int c0 = (b % cols) * p;
                    for (int ch = 0; ch < c; ch++) {
                        for (int i = r0; i < Math.min(h, r0 + p); i++) {
                            for (int j = c0; j < Math.min(w, c0 + p); j++) {
                                cur[(ch * h + i) * w + j] = v;
                            }
                        }
                    }
                    double sab = 0;
                    for (int i = 0; i < cur.length; i++) {
                        sab += a[e][i] * (x[e][i] - cur[i]);
                    }
                    dot[e * blocks + b] = sab;
                });
                double[] yp = calls.targets(NAME, cr.rows(), cr, row -> row / blocks, d::target, softmax);
                for (int e = 0; e < n; e++) {
                    double loss = 0;
                    for (int b = 0; b < blocks; b++) {
                        double diff = (y[e] - yp[e * blocks + b]) - dot[e * blocks + b];
                        loss += diff * diff;
                    }
                    total[e] += loss / blocks;
                }
            }
        }
        double[] scores = new double[n];
        for (int e = 0; e < n; e++) {
            scores[e] = total[e] / (reps * sizes.length);
        }
        return scores(Tensor.ofDoubles(scores, n), baseline.random(), in.seed(), Optional.empty(), calls.evaluations());
    }

    private Scores captum(MetricInput in, ExampleData d) {
        int n = d.size();
        int f = d.features();
        double[][] x = d.x();
        double[][] a = d.a();
        double[][] fixed = null;
        int k = samples;
        Object file = params.values().get("perturbations");
        if (file != null) {
            Tensor t = Npy.read(Path.of(((String) file).trim()), "perturbations");
            int[] es = d.exampleShape();
            int[] want = new int[es.length + 1];
            want[0] = t.rank() > 0 ? t.dim(0) : 0;
            System.arraycopy(es, 0, want, 1, es.length);
            if (!java.util.Arrays.equals(t.shape(), want)) {
                throw Explain4jException.shape("perturbations", "perturbations has shape " + Tensor.shapeString(t.shape())
                        + "; pass (K, ...one example's shape), K perturbations of shape " + Tensor.shapeString(es));
            }
            if (t.firstNonFinite() >= 0) {
                throw Explain4jException.usage("perturbations", "perturbations holds a non-finite value");
            }
            if (params.isGiven("n-perturb-samples") && samples != want[0]) {
                throw Explain4jException.usage("n-perturb-samples", "n-perturb-samples " + samples + " does not match the "
                        + want[0] + " perturbations of --perturbations");
            }
            k = want[0];
            fixed = ExampleData.rows(t);
        }
        double std = params.real("noise-std");
        int kk = k;
        double[][] fx = fixed;
        // The perturbation of row (e, s) is a pure function of (seed, e, s): batch-size independent.
        double[] sums = new double[n * kk];
        ModelCalls calls = ModelCalls.of(in);
        double[] y = calls.targets(NAME + " (unperturbed)", x, d.targets(), false);
        double[] yp = calls.targets(NAME, n * kk, (row, dest) -> {
            int e = row / kk;
            int s = row % kk;
            double[] noise = fx != null ? fx[s] : gaussian(in.seed(), e, s, f, std);
            double dot = 0;
            for (int i = 0; i < f; i++) {
                dest[i] = x[e][i] - noise[i];
                dot += a[e][i] * noise[i];
            }
            sums[row] = dot;
        }, row -> row / kk, d::target, false);
        boolean normalize = params.bool("normalize");
        double[] scores = new double[n];
        for (int e = 0; e < n; e++) {
            double beta = 1.0;
            if (normalize) {
                double num = 0;
                double den = 0;
                for (int s = 0; s < kk; s++) {
                    double sk = sums[e * kk + s];
                    num += sk * (y[e] - yp[e * kk + s]);
                    den += sk * sk;
                }
                beta = den != 0 ? num / den : num;
            }
            double loss = 0;
            for (int s = 0; s < kk; s++) {
                double diff = beta * sums[e * kk + s] - (y[e] - yp[e * kk + s]);
                loss += diff * diff;
            }
            scores[e] = loss / kk;
        }
        return scores(Tensor.ofDoubles(scores, n), fixed == null && std > 0, in.seed(), Optional.empty(), calls.evaluations());
    }

    private static double[] gaussian(long seed, int example, int sample, int f, double std) {
        SplittableRandom rng = MetricRandom.forExample(seed, example, sample + 1);
        double[] out = new double[f];
        for (int i = 0; i < f; i++) {
            out[i] = std * MetricRandom.gaussian(rng);
        }
        return out;
    }
}
