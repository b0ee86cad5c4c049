package org.explain4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.Need;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.io.Npy;

/**
 * Method parameters that suit an input, for {@code explain} and {@code demo}: derived from each
 * method's catalogue parameters and suggested values, and written out with each result so that it
 * can be reproduced on the command line.
 */
final class RunSettings {
    private RunSettings() {
    }

    /**
     * Parameter texts by name for {@code method} on {@code in}: the catalogue's suggested values
     * (a value ending in {@code %} is that share of the input's value range), the layer, a window of
     * about an eighth of an image side, square patches as feature groups on images, and a few
     * constant reference rows where a baseline distribution is needed.
     */
    static Map<String, String> argsFor(MethodSpec method, ExplainInput in, String layer, Path out, String batchSize) {
        Tensor x = in.batch();
        Map<String, String> a = new LinkedHashMap<>();
        boolean image = in.kind() == ExplainInput.Kind.IMAGE;
        int h = image ? x.dim(x.rank() - 2) : 1;
        int w = Math.max(1, Math.round(h / 8f));
        for (ParamSpec p : method.params()) {
            String suggested = method.suggested().get(p.name());
            switch (p.name()) {
                case "batch-size" -> a.put(p.name(), batchSize);
                case "layer" -> {
                    // an optional layer (DeepLIFT, LRP) only where the input cannot be explained directly (token ids)
                    if (layer != null && (p.required() || !x.dtype().isFloating())) {
                        a.put(p.name(), layer);
                    }
                }
                case "window" -> a.put(p.name(), image ? "1," + w + "," + w : "1");
                case "stride" -> a.put(p.name(), image ? "1," + Math.max(1, w / 2) + "," + Math.max(1, w / 2) : "1");
                case "feature-mask" -> {
                    if (image) {
                        a.put(p.name(), mask(in, out).toString());
                    }
                }
                case "baseline" -> {
                    if (method.needs().contains(Need.BASELINE_DISTRIBUTION)) {
                        a.put(p.name(), references(x, out).toString());
                    }
                }
                default -> {
                    if (suggested != null) {
                        a.put(p.name(), suggested.endsWith("%")
                                ? fmt(Double.parseDouble(suggested.substring(0, suggested.length() - 1)) / 100 * range(x))
                                : suggested);
                    }
                }
            }
        }
        return a;
    }

    /** Image inputs get a mask of square patches (about 4 x 4 of them); others one feature per element. */
    private static Path mask(ExplainInput in, Path out) {
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
        return p;
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
