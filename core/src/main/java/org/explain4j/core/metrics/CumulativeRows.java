package org.explain4j.core.metrics;

import org.explain4j.core.engine.EvaluationEngine;

/**
 * Model-call rows of cumulative perturbation metrics, produced on demand: row {@code e * steps + j}
 * is example e after steps 0..j, each applied by {@link Step} to the example's current array.
 * Only one example's current array is held, so memory stays flat; rows must be requested in order
 * (the {@link EvaluationEngine} does), which also keeps random draws in a fixed order.
 */
final class CumulativeRows implements EvaluationEngine.RowFiller {
    /** Applies step {@code step} of example {@code example} to {@code current}, in place. */
    @FunctionalInterface
    interface Step {
        void apply(int example, int step, double[] current);
    }

    private final double[][] start;
    private final int steps;
    private final Step step;
    private double[] current;
    private int last = -1;

    CumulativeRows(double[][] start, int steps, Step step) {
        this.start = start;
        this.steps = steps;
        this.step = step;
    }

    int rows() {
        return start.length * steps;
    }

    @Override
    public void fill(int row, double[] dest) {
        int e = row / steps;
        int j = row % steps;
        if (j == 0) {
            current = start[e].clone();
        } else if (row != last + 1) {
            throw new IllegalStateException("cumulative rows must be filled in order: " + row + " after " + last);
        }
        step.apply(e, j, current);
        System.arraycopy(current, 0, dest, 0, dest.length);
        last = row;
    }
}
