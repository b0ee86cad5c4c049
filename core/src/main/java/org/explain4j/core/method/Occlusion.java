package org.explain4j.core.method;

import org.explain4j.core.engine.BatchSize;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.Model;

/**
 * Occlusion (Zeiler and Fergus, 2014, "Visualizing and Understanding Convolutional Networks"):
 * a window slides over one example's dimensions with a given stride; each window position is
 * replaced by the baseline, and every element covered receives {@code f(x) - f(occluded)}
 * averaged over the windows that cover it. Along each dimension of size {@code D} a window of
 * size {@code W} and stride {@code S} takes {@code ceil((D - W) / S) + 1} positions, starting at
 * {@code k * S} and cut off at the end (Captum's convention). Deterministic.
 */
public final class Occlusion implements AttributionMethod {
    /**
     * Options. {@code window} and {@code stride} have one entry per example dimension (batch
     * excluded). {@code incremental}: evaluate each window through the model's incremental
     * inference where the model offers it ({@link org.explain4j.core.model.LocalEvaluation}:
     * only what the window reaches is recomputed; the result equals full recomputation within
     * float32 rounding); on by default.
     */
    public record Options(int[] window, int[] stride, Baseline baseline, int batchSize, boolean incremental) {
        public Options {
            if (window == null || stride == null || baseline == null) {
                throw new IllegalArgumentException("window, stride and baseline are required");
            }
            window = window.clone();
            stride = stride.clone();
            if (window.length != stride.length) {
                throw Explain4jException.usage("stride", "stride has " + stride.length + " values but window has "
                        + window.length + "; give one per example dimension");
            }
            for (int i = 0; i < window.length; i++) {
                if (window[i] < 1 || stride[i] < 1) {
                    throw Explain4jException.usage("window", "window and stride values must be at least 1");
                }
            }
            BatchSize.check(batchSize);
        }

        /** Options with incremental inference on. */
        public Options(int[] window, int[] stride, Baseline baseline, int batchSize) {
            this(window, stride, baseline, batchSize, true);
        }

        /** A window with stride 1 everywhere and a zero baseline. */
        public static Options window(int... window) {
            int[] stride = new int[window.length];
            Arrays.fill(stride, 1);
            return new Options(window, stride, Baseline.zeros(), BatchSize.AUTO);
        }

        public Options withStride(int... s) {
            return new Options(window, s, baseline, batchSize, incremental);
        }

        public Options withBaseline(Baseline b) {
            return new Options(window, stride, b, batchSize, incremental);
        }

        public Options withBatchSize(int n) {
            return new Options(window, stride, baseline, n, incremental);
        }

        /** Incremental inference on (where the model offers it) or off (a whole forward pass per window). */
        public Options withIncremental(boolean on) {
            return new Options(window, stride, baseline, batchSize, on);
        }

        @Override
        public int[] window() {
            return window.clone();
        }

        @Override
        public int[] stride() {
            return stride.clone();
        }
    }

    private final Model model;
    private final Options options;
    private final ProgressListener progress;

    public Occlusion(Model model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public Occlusion(Model model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "occlusion";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        int[] ex = input.exampleShape();
        int[] w = options.window;
        int[] s = options.stride;
        // 1. Check the window against one example's shape.
        if (w.length != ex.length) {
            throw Explain4jException.usage("window", "window has " + w.length + " values but each example has "
                    + ex.length + " dimensions " + Tensor.shapeString(ex) + "; give one value per dimension");
        }
        int[] positions = new int[ex.length];
        int windows = 1;
        for (int i = 0; i < ex.length; i++) {
            if (w[i] > ex[i]) {
                throw Explain4jException.usage("window", "window " + Arrays.toString(w) + " is larger than the example "
                        + Tensor.shapeString(ex) + " in dimension " + i);
            }
            positions[i] = (int) Math.ceil((ex[i] - w[i]) / (double) s[i]) + 1;
            windows *= positions[i];
        }
        int[] strides = new int[ex.length];
        int acc = 1;
        for (int i = ex.length - 1; i >= 0; i--) {
            strides[i] = acc;
            acc *= ex[i];
        }
        int d = input.exampleSize();
        // 2. Queue one occluded copy per example and window position.
        int[][] starts = new int[windows][ex.length];
        int[] coverage = new int[d];
        for (int k = 0; k < windows; k++) {
            int rem = k;
            for (int i = ex.length - 1; i >= 0; i--) {
                starts[k][i] = (rem % positions[i]) * s[i];
                rem /= positions[i];
            }
            forEachInBox(starts[k], w, ex, strides, e -> coverage[e]++);
        }
        Perturbations p = new Perturbations(run, options.baseline().rowsFor(input)).incremental(options.incremental());
        int n = input.batchSize();
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < windows; k++) {
                int[] lo = starts[k];
                p.add(i, action -> forEachInBox(lo, w, ex, strides, action));
            }
        }
        // 3. Evaluate; average each element's drop over the windows covering it.
        double[] v = p.run(name());
        double[] fx = run.explained();
        double[][] out = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < windows; k++) {
                double diff = fx[i] - v[i * windows + k];
                double[] row = out[i];
                forEachInBox(starts[k], w, ex, strides, e -> row[e] += diff);
            }
            for (int e = 0; e < d; e++) {
                out[i][e] = coverage[e] == 0 ? 0.0 : out[i][e] / coverage[e];
            }
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("window", options.window());
        opts.put("stride", options.stride());
        opts.put("baseline", options.baseline().describe());
        opts.put("batch_size", run.batchSize());
        return run.finish(name(), run.valuesOfInputShape(out), target, opts, OptionalLong.empty(),
                Optional.empty(), Optional.empty());
    }

    /** Calls {@code action} with the flat index of every element of the box at {@code lo} of size {@code w}, cut at the edges. */
    private static void forEachInBox(int[] lo, int[] w, int[] ex, int[] strides, java.util.function.IntConsumer action) {
        int rank = ex.length;
        int[] hi = new int[rank];
        int count = 1;
        for (int i = 0; i < rank; i++) {
            hi[i] = Math.min(ex[i], lo[i] + w[i]);
            count *= hi[i] - lo[i];
        }
        int[] c = lo.clone();
        for (int k = 0; k < count; k++) {
            int flat = 0;
            for (int i = 0; i < rank; i++) {
                flat += c[i] * strides[i];
            }
            action.accept(flat);
            for (int i = rank - 1; i >= 0; i--) {
                if (++c[i] < hi[i]) {
                    break;
                }
                c[i] = lo[i];
            }
        }
    }

}
