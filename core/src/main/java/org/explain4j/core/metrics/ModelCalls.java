package org.explain4j.core.metrics;

import java.util.function.IntUnaryOperator;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelOutputs;

/**
 * The metrics' model calls: rows produced on demand and batched through the
 * {@link EvaluationEngine} (memory stays flat, every evaluation counted), read back as the
 * target class's output: the softmax probability ({@code softmax=true}) or the logit.
 */
public final class ModelCalls {
    private final EvaluationEngine engine;
    private final int[] exampleShape;

    /**
     * @param exampleShape the shape of one model input (the input tensor's shape without the batch)
     */
    public ModelCalls(Model model, int batchSize, ProgressListener progress, int[] exampleShape) {
        this.engine = new EvaluationEngine(model, batchSize, progress);
        this.exampleShape = exampleShape.clone();
    }

    /** Calls for {@code in}'s model, batch size, progress and input shape. */
    public static ModelCalls of(MetricInput in) {
        return new ModelCalls(in.model(), in.batchSize(), in.progress(), in.input().exampleShape());
    }

    public EvaluationEngine engine() {
        return engine;
    }

    /** Examples evaluated so far. */
    public long evaluations() {
        return engine.evaluations();
    }

    /**
     * The target output of {@code rows} inputs produced by {@code filler}: row {@code r} is (a
     * perturbation of) example {@code exampleOf(r)}, whose target class is
     * {@code targetOfExample(exampleOf(r))}; a NaN or infinite target output is refused naming that
     * example.
     */
    public double[] targets(String task, int rows, EvaluationEngine.RowFiller filler, IntUnaryOperator exampleOf,
                            IntUnaryOperator targetOfExample, boolean softmax) {
        double[] out = new double[rows];
        IntUnaryOperator targetOf = r -> targetOfExample.applyAsInt(exampleOf.applyAsInt(r));
        // only the target's output is checked for NaN and infinity; softmax reads every output, where
        // -inf is a valid logit (probability 0), so NaN and +inf are refused there
        try (var check = engine.explainingWithin((row, example, column) -> column == targetOf.applyAsInt(row))) {
            engine.evaluate(task, rows, exampleShape, exampleOf, filler, (r, o) -> {
                if (softmax) {
                    ModelOutputs.requireFinite(engine.model(), o, r, exampleOf.applyAsInt(r),
                            (row, example, column) -> o[column] != Double.NEGATIVE_INFINITY);
                }
                out[r] = select(o, targetOf.applyAsInt(r), softmax);
            });
        }
        return out;
    }

    /**
     * The target output of each of {@code rows} (flattened inputs): row {@code r} is (a variant of)
     * example {@code r % targets.length}, whose target class is {@code targets[r % targets.length]}
     * ({@code rows} holds one or more runs of the examples in order).
     */
    public double[] targets(String task, double[][] rows, int[] targets, boolean softmax) {
        int n = targets.length;
        return targets(task, rows.length, (r, dest) -> System.arraycopy(rows[r], 0, dest, 0, dest.length),
                r -> r % n, e -> targets[e], softmax);
    }

    /** Every output (logits as the model returns them) of {@code rows} inputs, row {@code r} of example {@code exampleOf(r)}. */
    public double[][] outputs(String task, int rows, IntUnaryOperator exampleOf, EvaluationEngine.RowFiller filler) {
        double[][] out = new double[rows][];
        engine.evaluate(task, rows, exampleShape, exampleOf, filler, (r, o) -> out[r] = o.clone());
        return out;
    }

    /**
     * Every output of each of {@code rows} (flattened inputs): row {@code r} is (a variant of)
     * example {@code r % examples} ({@code rows} holds one or more runs of the examples in order).
     */
    public double[][] outputs(String task, double[][] rows, int examples) {
        return outputs(task, rows.length, r -> r % examples,
                (r, dest) -> System.arraycopy(rows[r], 0, dest, 0, dest.length));
    }

    /**
     * The value of class {@code target} in one output row: the softmax probability (computed in
     * double, max-shifted) or the raw output.
     */
    public static double select(double[] outputs, int target, boolean softmax) {
        if (target < 0) {
            throw Explain4jException.target("target", "target " + target + " is negative; pass a class index from 0");
        }
        Target.requireInRange("target", target, outputs.length);
        if (!softmax) {
            return outputs[target];
        }
        double m = Double.NEGATIVE_INFINITY;
        for (double v : outputs) {
            m = Math.max(m, v);
        }
        double s = 0;
        for (double v : outputs) {
            s += Math.exp(v - m);
        }
        return Math.exp(outputs[target] - m) / s;
    }

    /** The first index of the largest output (NumPy {@code argmax}). */
    public static int argmax(double[] outputs) {
        int best = 0;
        for (int i = 1; i < outputs.length; i++) {
            if (outputs[i] > outputs[best]) {
                best = i;
            }
        }
        return best;
    }
}
