package org.explain4j.core.model;

import org.explain4j.core.engine.EvaluationEngine;

/**
 * A model that can evaluate inputs differing from one example only inside a small box faster
 * than a whole forward pass each (incremental inference: the unperturbed activations are kept and
 * only the part of each layer that the box reaches is recomputed). Results equal the ordinary
 * forward pass within float32 rounding. Optional: the evaluation engine asks through
 * {@link #local} and falls back to ordinary batches when the answer is {@code null}.
 */
public interface LocalEvaluation {

    /** Rows to evaluate: each equals {@code base} except inside its box (spatial dimensions only). */
    interface Evaluator {
        /**
         * Evaluates {@code rows} rows; row {@code r} differs from the base example only at spatial
         * positions {@code [lo[r][d], hi[r][d])} of the last two dimensions ({@code d} = 0 rows,
         * 1 columns); {@code filler} writes the whole perturbed row (one example, flattened).
         * Each output row goes to {@code consumer} in row order.
         */
        void evaluate(int rows, int[][] lo, int[][] hi, EvaluationEngine.RowFiller filler,
                      EvaluationEngine.OutputConsumer consumer);
    }

    /**
     * An evaluator for perturbations of the example {@code base} (flattened, shape
     * {@code exampleShape}) whose boxes are {@code lo}/{@code hi} (as in {@link Evaluator}), at
     * most {@code batchSize} rows per call; or {@code null} when the model does not qualify or
     * would gain nothing for those boxes.
     */
    Evaluator local(double[] base, int[] exampleShape, int[][] lo, int[][] hi, int batchSize);
}
