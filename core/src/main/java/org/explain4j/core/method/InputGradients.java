package org.explain4j.core.method;

import java.util.Map;
import java.util.function.IntUnaryOperator;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.RuleSet;

/**
 * Weighted sums of input gradients over many rows, the core of every input-space gradient
 * method: row {@code r} belongs to example {@code exampleOf(r)}, is evaluated at the point
 * {@code points.fill(r)}, and its gradient (of that example's target) is added to the
 * example's sum with weight {@code weight(r)}.
 */
final class InputGradients {
    /** The weight of a row. */
    @FunctionalInterface
    interface RowWeight {
        double of(int row);
    }

    private InputGradients() {
    }

    /** The weight of one element of a row. */
    @FunctionalInterface
    interface ElementWeight {
        double of(int row, int element);
    }

    /** Returns {@code [N][D]} sums, one scalar weight per row. */
    static double[][] weightedSum(MethodRun run, String method, RuleSet rules, int rows, IntUnaryOperator exampleOf,
                                  EvaluationEngine.RowFiller points, RowWeight weight) {
        return weightedSum(run, method, rules, rows, exampleOf, points, (row, e) -> weight.of(row));
    }

    /** Returns {@code [N][D]} sums, one weight per row and element. */
    static double[][] weightedSum(MethodRun run, String method, RuleSet rules, int rows, IntUnaryOperator exampleOf,
                                  EvaluationEngine.RowFiller points, ElementWeight weight) {
        return weightedSum(run, method, rules, rows, exampleOf, points, run.seedOfExample(exampleOf), weight);
    }

    /** Returns {@code [N][D]} sums, with explicit seed rows. */
    static double[][] weightedSum(MethodRun run, String method, RuleSet rules, int rows, IntUnaryOperator exampleOf,
                                  EvaluationEngine.RowFiller points, EvaluationEngine.RowFiller seeds, ElementWeight weight) {
        Tensor x = run.input();
        int n = x.batchSize();
        int d = x.exampleSize();
        double[][] sum = new double[n][d];
        BackwardRequest request = BackwardRequest.gradientOfInput().withRules(rules);
        run.gradients(method).run(method, rows, x.exampleShape(), exampleOf, points, run.outputs(), seeds,
                request, Map.of(), (first, m, result) -> {
                    Tensor g = result.inputGradient().orElseThrow();
                    for (int i = 0; i < m; i++) {
                        int row = first + i;
                        double[] s = sum[exampleOf.applyAsInt(row)];
                        int off = i * d;
                        for (int e = 0; e < d; e++) {
                            s[e] += weight.of(row, e) * g.getDouble(off + e);
                        }
                    }
                });
        return sum;
    }

    /** The examples of the run's input as rows of doubles. */
    static double[][] rows(Tensor t) {
        int n = t.batchSize();
        int d = t.exampleSize();
        double[] all = t.toDoubleArray();
        double[][] out = new double[n][d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(all, i * d, out[i], 0, d);
        }
        return out;
    }
}
