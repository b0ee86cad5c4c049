package org.explain4j.core.metrics;

/**
 * Writes -0.0 as 0.0. NumPy's {@code argsort} and SciPy's {@code rankdata} treat the two as one
 * value (a tie); {@link Attributions}' orderings and {@link Correlations#ranks} compare with
 * {@code Double.compare}, which puts -0.0 before 0.0. Gradient-times-input attributions hold
 * both (0 * a negative gradient is -0.0), so the sorting and ranking metrics canonicalise first.
 */
final class SignedZeros {
    private SignedZeros() {
    }

    /** {@code rows} with every -0.0 replaced by 0.0, in place; returns {@code rows}. */
    static double[][] canonical(double[][] rows) {
        for (double[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                r[i] += 0.0;
            }
        }
        return rows;
    }
}
