package org.explain4j.core.metrics;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.io.Npy;

/**
 * Iterative removal of features (Rieger &amp; Hansen 2020, "IROF: a low resource evaluation metric
 * for explanation methods"; Quantus 0.6.0 {@code IROF}): the input's pixels are grouped into
 * segments; in descending order of their mean attribution (over the segment's pixels and all
 * channels), segments are set to the baseline of the current input cumulatively; with
 * {@code p_j} the target output after j segments, score = {@code K - trapz(p_1/p_0 .. p_K/p_0)}
 * (dx 1), Quantus's area over the curve. Higher is better.
 *
 * <p>Segments: a {@code segmentation} file of integer labels, the input's spatial shape
 * {@code (H, W)} (or {@code (F)}) for every example or {@code (N, H, W)} one per example, or by
 * default a grid of square cells (side {@code max(1, round(sqrt(H*W / 100)))}, row-major labels:
 * about SLIC's default of 100 segments, but not SLIC, so Quantus's numbers on the same image differ).
 */
final class Irof extends BaseMetric {
    static final String NAME = "irof";
    /** The default segmentation: square cells. */
    static final String GRID = "grid";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS, "Quantus 0.6.0 IROF (Rieger & Hansen 2020)",
                "area over the normalised output curve as segments are removed by mean attribution; higher is better",
                "Segments (a given segmentation or a grid of about 100 square cells) are set to the baseline of the current "
                        + "input in descending order of their mean attribution, cumulatively; the curve holds f(x_j)[y] / "
                        + "f(x)[y] after each segment; score = K - trapz(curve), the area over it. A faster fall scores higher.",
                List.of(MetricParams.text("segmentation", GRID, "grid (square cells, about 100) or a .npy of integer segment "
                                + "labels of shape (H, W), or (N, H, W) one per example"),
                        MetricParams.abs(true), MetricParams.normalise(true), MetricParams.perturbBaseline("mean"),
                        MetricParams.softmax(true), MetricParams.returnAggregate(true)),
                false, false, false, "(N,); (1,) with return-aggregate", Optional.of(true), Irof::new);
    }

    private final PerturbBaseline baseline;

    Irof(Params p) {
        super(NAME, p);
        this.baseline = PerturbBaseline.of(p);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        int n = d.size();
        int hw = d.spatial();
        int[][] labels = segmentation(d);
        double[][] a = preprocessed(d);
        // 1. Each example's segments (flat spatial indices), ordered by mean attribution, highest first.
        int[][][] segments = new int[n][][];
        int[] offset = new int[n + 1];
        for (int e = 0; e < n; e++) {
            segments[e] = ordered(labels[labels.length == 1 ? 0 : e], a[e], d.channels(), hw);
            offset[e + 1] = offset[e] + 1 + segments[e].length;
        }
        // 2. Rows: the input, then the input after removing segments 1..K cumulatively.
        SplittableRandom[] rng = new SplittableRandom[n];
        for (int e = 0; e < n; e++) {
            rng[e] = baseline.stream(in.seed(), e);
        }
        int[] exampleOf = new int[offset[n]];
        for (int e = 0; e < n; e++) {
            java.util.Arrays.fill(exampleOf, offset[e], offset[e + 1], e);
        }
        double[][] current = new double[1][];
        PerturbBaseline.Running[] running = new PerturbBaseline.Running[1];
        ModelCalls calls = ModelCalls.of(in);
        double[] p = calls.targets(NAME, offset[n], (row, dest) -> {
            int e = exampleOf[row];
            int j = row - offset[e];
            if (j == 0) {
                current[0] = d.x()[e].clone();
                running[0] = baseline.running(current[0]);
            } else {
                double v = running[0].value(rng[e]);
                for (int pixel : segments[e][j - 1]) {
                    for (int c = 0; c < d.channels(); c++) {
                        running[0].set(c * hw + pixel, v);
                    }
                }
            }
            System.arraycopy(current[0], 0, dest, 0, dest.length);
        }, row -> exampleOf[row], d::target, params.bool("softmax"));
        // 3. Area over the normalised curve.
        double[] score = new double[n];
        for (int e = 0; e < n; e++) {
            int k = segments[e].length;
            double p0 = p[offset[e]];
            double trapz = 0;
            for (int j = 1; j < k; j++) {
                trapz += (p[offset[e] + j] / p0 + p[offset[e] + j + 1] / p0) / 2.0;
            }
            score[e] = k - trapz;
        }
        if (params.bool("return-aggregate")) {
            double s = 0;
            for (double v : score) {
                s += v;
            }
            score = new double[] {s / n};
        }
        return scores(Tensor.ofDoubles(score, score.length), baseline.random(), in.seed(), Optional.empty(),
                calls.evaluations());
    }

    /** The segments of one example's labels, as flat spatial indices, by descending mean attribution (ties by label). */
    static int[][] ordered(int[] labels, double[] a, int channels, int hw) {
        TreeMap<Integer, List<Integer>> byLabel = new TreeMap<>();
        for (int i = 0; i < hw; i++) {
            byLabel.computeIfAbsent(labels[i], k -> new java.util.ArrayList<>()).add(i);
        }
        int[][] seg = new int[byLabel.size()][];
        double[] mean = new double[seg.length];
        int s = 0;
        for (List<Integer> pixels : byLabel.values()) {
            seg[s] = pixels.stream().mapToInt(Integer::intValue).toArray();
            double sum = 0;
            for (int pixel : seg[s]) {
                for (int c = 0; c < channels; c++) {
                    sum += a[c * hw + pixel];
                }
            }
            mean[s] = sum / (seg[s].length * channels);
            s++;
        }
        int[] order = Attributions.descending(mean);
        int[][] out = new int[seg.length][];
        for (int i = 0; i < order.length; i++) {
            out[i] = seg[order[i]];
        }
        return out;
    }

    /** Square cells of side {@code max(1, round(sqrt(h*w / 100)))}, labelled row-major from 0. */
    static int[] grid(int h, int w) {
        int side = (int) Math.max(1, Math.round(Math.sqrt(h * (double) w / 100)));
        int perRow = (w + side - 1) / side;
        int[] out = new int[h * w];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                out[r * w + c] = (r / side) * perRow + c / side;
            }
        }
        return out;
    }

    /** One label array (shared) or one per example, each of H*W labels. */
    private int[][] segmentation(ExampleData d) {
        String s = params.string("segmentation").trim();
        int hw = d.spatial();
        if (s.toLowerCase(Locale.ROOT).equals(GRID)) {
            return new int[][] {grid(d.height(), d.width())};
        }
        if (!s.toLowerCase(Locale.ROOT).endsWith(".npy")) {
            throw Explain4jException.usage("segmentation", "segmentation '" + s + "' must be grid or a .npy file of labels");
        }
        Tensor t = Npy.read(Path.of(s), "segmentation");
        int rows;
        if (t.size() == hw) {
            rows = 1;
        } else if (t.size() == (long) d.size() * hw && t.dim(0) == d.size()) {
            rows = d.size();
        } else {
            throw Explain4jException.shape("segmentation", "segmentation has shape " + Tensor.shapeString(t.shape())
                    + "; pass the input's spatial shape (" + hw + " labels) or one such array per example");
        }
        int[][] out = new int[rows][hw];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < hw; i++) {
                double v = t.getDouble(r * hw + i);
                if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                    throw Explain4jException.usage("segmentation", "segmentation holds " + v + " at flat index " + (r * hw + i)
                            + "; pass integer labels");
                }
                out[r][i] = (int) v;
            }
        }
        return out;
    }
}
