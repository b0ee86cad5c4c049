package org.explain4j.core.method;

import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.GradientEngine;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.RuleSet;

/**
 * Activations and gradients of one named intermediate tensor (a "layer") over many rows,
 * streamed batch by batch to a consumer.
 */
final class LayerProbe {
    /** Receives row {@code row}'s layer activation and gradient (flattened, shared buffers). */
    @FunctionalInterface
    interface RowConsumer {
        void accept(int row, double[] activation, double[] gradient);
    }

    private LayerProbe() {
    }

    /**
     * Runs {@code rows} backward passes capturing {@code layer}; row {@code r} has input
     * {@code points.fill(r)} and the target seed of example {@code exampleOf(r)}; optionally
     * feeds the layer with {@code feed}. Returns the shape of one example's layer tensor, as the
     * backward passes reported it (so no separate probe pass is needed).
     */
    static int[] run(MethodRun run, String method, String layer, RuleSet rules, int rows, IntUnaryOperator exampleOf,
                    EvaluationEngine.RowFiller points, GradientEngine.Feed feed, RowConsumer consumer) {
        return run(run, method, layer, rules, rows, exampleOf, points, run.seedOfExample(exampleOf), feed, consumer);
    }

    /** As above, with explicit seed rows (e.g. LRP's relevance seed, the output times the target weighting). */
    static int[] run(MethodRun run, String method, String layer, RuleSet rules, int rows, IntUnaryOperator exampleOf,
                    EvaluationEngine.RowFiller points, EvaluationEngine.RowFiller seeds, GradientEngine.Feed feed,
                    RowConsumer consumer) {
        BackwardRequest req = new BackwardRequest(rules, List.of(layer), Map.of(), false);
        Map<String, GradientEngine.Feed> feeds = feed == null ? Map.of() : Map.of(layer, feed);
        int[][] shape = new int[1][];
        run.gradients(method).run(method, rows, run.input().exampleShape(), exampleOf, points, run.outputs(),
                seeds, req, feeds, (first, m, result) -> {
                    Tensor act = result.activations().get(layer);
                    Tensor grad = result.gradients().get(layer);
                    shape[0] = act.exampleShape();
                    int size = act.exampleSize();
                    double[] a = new double[size];
                    double[] g = new double[size];
                    for (int i = 0; i < m; i++) {
                        for (int e = 0; e < size; e++) {
                            a[e] = act.getDouble(i * size + e);
                            g[e] = grad.getDouble(i * size + e);
                        }
                        consumer.accept(first + i, a, g);
                    }
                });
        return shape[0];
    }

    /** Receives row {@code row}'s model outputs and layer activation (flattened, shared buffers). */
    @FunctionalInterface
    interface ValueConsumer {
        void accept(int row, double[] outputs, double[] activation);
    }

    /**
     * The model's outputs and {@code layer}'s values on {@code rows} rows, from forward passes
     * alone where the model can capture tensors ({@code GradientEngine.capture}); row {@code r}
     * has input {@code points.fill(r)} and the fed inputs of example {@code exampleOf(r)}.
     * Returns the shape of one example's layer tensor.
     */
    static int[] values(MethodRun run, String method, String layer, int rows, IntUnaryOperator exampleOf,
                        EvaluationEngine.RowFiller points, ValueConsumer consumer) {
        int[][] shape = new int[1][];
        run.gradients(method).capture(method, rows, run.input().exampleShape(), exampleOf, points, run.outputs(),
                List.of(layer), (first, m, result) -> {
                    Tensor act = result.activations().get(layer);
                    Tensor out = result.output();
                    shape[0] = act.exampleShape();
                    int size = act.exampleSize();
                    int c = out.size() == 0 ? 0 : (int) (out.size() / m);
                    double[] a = new double[size];
                    double[] o = new double[c];
                    for (int i = 0; i < m; i++) {
                        for (int e = 0; e < size; e++) {
                            a[e] = act.getDouble(i * size + e);
                        }
                        for (int k = 0; k < c; k++) {
                            o[k] = out.getDouble(i * c + k);
                        }
                        consumer.accept(first + i, o, a);
                    }
                });
        return shape[0];
    }

    /** Rows of doubles as a tensor of shape {@code (N, exampleShape...)}, float32. */
    static Tensor tensor(double[][] rows, int[] exampleShape) {
        int d = (int) Tensor.sizeOf(exampleShape);
        int[] shape = new int[exampleShape.length + 1];
        shape[0] = rows.length;
        System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
        double[] flat = new double[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * d, d);
        }
        return Tensor.ofDoublesAsFloats(flat, shape);
    }
}
