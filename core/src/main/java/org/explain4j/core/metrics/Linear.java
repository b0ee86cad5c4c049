package org.explain4j.core.metrics;

/** Dense linear solves for the metrics (ROAD's imputation system). */
final class Linear {
    private Linear() {
    }

    /**
     * Solves {@code M v = r} for each right-hand side {@code r} of {@code rhs}, M symmetric positive
     * definite (Cholesky); {@code M} is overwritten.
     */
    static double[][] solveSymmetric(double[][] m, double[][] rhs) {
        int k = m.length;
        double[][] l = m;
        for (int j = 0; j < k; j++) {
            double s = l[j][j];
            for (int p = 0; p < j; p++) {
                s -= l[j][p] * l[j][p];
            }
            if (!(s > 0)) {
                throw new IllegalStateException("the imputation system is singular (no known pixel reaches pixel " + j + ")");
            }
            double d = Math.sqrt(s);
            l[j][j] = d;
            for (int i = j + 1; i < k; i++) {
                double t = l[i][j];
                for (int p = 0; p < j; p++) {
                    t -= l[i][p] * l[j][p];
                }
                l[i][j] = t / d;
            }
        }
        double[][] out = new double[rhs.length][];
        for (int r = 0; r < rhs.length; r++) {
            double[] v = rhs[r].clone();
            for (int i = 0; i < k; i++) {
                double t = v[i];
                for (int p = 0; p < i; p++) {
                    t -= l[i][p] * v[p];
                }
                v[i] = t / l[i][i];
            }
            for (int i = k - 1; i >= 0; i--) {
                double t = v[i];
                for (int p = i + 1; p < k; p++) {
                    t -= l[p][i] * v[p];
                }
                v[i] = t / l[i][i];
            }
            out[r] = v;
        }
        return out;
    }
}
