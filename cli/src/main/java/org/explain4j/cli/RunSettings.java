package org.explain4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;

/** Method flags that suit an input, for {@code explain} and {@code demo}; written out so each result can be reproduced. */
final class RunSettings {
    private RunSettings() {
    }

    static List<String> argsFor(String method, ExplainInput in, String layer, Path out, int batchSize) {
        Tensor x = in.batch();
        List<String> a = new ArrayList<>(List.of("--batch-size", String.valueOf(batchSize)));
        boolean image = in.kind() == ExplainInput.Kind.IMAGE;
        int h = image ? x.dim(x.rank() - 2) : 1;
        double range = range(x);
        switch (method) {
            case "occlusion" -> {
                int w = Math.max(1, Math.round(h / 8f));
                int s = Math.max(1, w / 2);
                a.addAll(List.of("--window", image ? "1," + w + "," + w : "1", "--stride", image ? "1," + s + "," + s : "1"));
            }
            case "feature-ablation", "shapley-exact" -> a.addAll(mask(in, out));
            case "shapley-value-sampling" -> {
                a.addAll(mask(in, out));
                a.addAll(List.of("--samples", "64", "--seed", "7"));
            }
            case "kernel-shap" -> {
                a.addAll(mask(in, out));
                a.addAll(List.of("--samples", "512", "--seed", "7"));
            }
            case "lime" -> {
                a.addAll(mask(in, out));
                a.addAll(List.of("--samples", "500", "--seed", "7"));
            }
            case "feature-permutation" -> {
                a.addAll(mask(in, out));
                a.addAll(List.of("--seed", "7"));
            }
            case "integrated-gradients" -> a.addAll(List.of("--steps", "50"));
            case "smoothgrad" -> a.addAll(List.of("--samples", "25", "--noise-std", fmt(0.15 * range), "--seed", "7"));
            case "gradient-shap" -> a.addAll(List.of("--baseline", references(x, out).toString(), "--samples", "25",
                    "--noise-std", fmt(0.05 * range), "--seed", "7"));
            case "deeplift-shap" -> a.addAll(List.of("--baseline", references(x, out).toString()));
            case "lrp" -> a.addAll(List.of("--composite", image ? "epsilon-plus-flat" : "epsilon"));
            case "grad-cam" -> a.addAll(List.of("--layer", layer, "--relu", "true"));
            case "guided-grad-cam", "layer-activation", "layer-gradient-x-activation" -> a.addAll(List.of("--layer", layer));
            case "layer-integrated-gradients", "layer-conductance" -> a.addAll(List.of("--layer", layer, "--steps", "50"));
            default -> {
            }
        }
        return a;
    }

    /** Image inputs get a mask of square patches (about 4 x 4 of them); others one feature per element. */
    private static List<String> mask(ExplainInput in, Path out) {
        if (in.kind() != ExplainInput.Kind.IMAGE) {
            return List.of();
        }
        Tensor x = in.batch();
        int h = x.dim(2);
        int w = x.dim(3);
        int patch = Math.max(1, Math.max(h, w) / 4);
        int perRow = (w + patch - 1) / patch;
        long[] ids = new long[h * w];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                ids[r * w + c] = (long) (r / patch) * perRow + c / patch;
            }
        }
        Path p = out.resolve("patches.npy");
        Npy.write(Tensor.ofLongs(ids, 1, 1, h, w), p);
        return List.of("--feature-mask", p.toString());
    }

    /** A few constant reference inputs spanning the input's range, for SHAP-style methods. */
    private static Path references(Tensor x, Path out) {
        double[] v = x.toDoubleArray();
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (double d : v) {
            lo = Math.min(lo, d);
            hi = Math.max(hi, d);
        }
        int d = x.exampleSize();
        double[] rows = new double[3 * d];
        double[] levels = {lo, (lo + hi) / 2, 0};
        for (int k = 0; k < 3; k++) {
            java.util.Arrays.fill(rows, k * d, (k + 1) * d, levels[k]);
        }
        int[] shape = x.shape();
        shape[0] = 3;
        Path p = out.resolve("references.npy");
        Npy.write(Tensor.ofDoublesAsFloats(rows, shape), p);
        return p;
    }

    private static double range(Tensor x) {
        if (!x.dtype().isFloating()) {
            return 1;
        }
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (double d : x.toDoubleArray()) {
            lo = Math.min(lo, d);
            hi = Math.max(hi, d);
        }
        return hi > lo ? hi - lo : 1;
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4g", v);
    }
}
