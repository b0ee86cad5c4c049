package org.explain4j.core.method;

/** Small dense linear algebra for the surrogate fits of KernelSHAP and LIME. */
final class Linear {
    private Linear() {
    }

    /**
     * Solves {@code a x = b} for a symmetric positive semi-definite {@code a} by Gaussian
     * elimination with partial pivoting; a (near) singular system gets a tiny ridge added to its
     * diagonal so a minimum-norm-like answer comes back instead of NaN.
     */
    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double trace = 0;
        for (int i = 0; i < n; i++) {
            trace += Math.abs(a[i][i]);
        }
        double jitter = 0;
        for (int attempt = 0; attempt < 6; attempt++) {
            double[] x = eliminate(a, b, jitter);
            if (x != null) {
                return x;
            }
            jitter = jitter == 0 ? 1e-12 * Math.max(trace / Math.max(n, 1), 1e-300) : jitter * 1000;
        }
        return new double[n];
    }

    private static double[] eliminate(double[][] a0, double[] b0, double jitter) {
        int n = b0.length;
        double[][] a = new double[n][];
        double[] b = b0.clone();
        double scale = 0;
        for (int i = 0; i < n; i++) {
            a[i] = a0[i].clone();
            a[i][i] += jitter;
            for (double v : a[i]) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        double tiny = 1e-13 * Math.max(scale, Double.MIN_NORMAL);
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) {
                    piv = r;
                }
            }
            if (Math.abs(a[piv][col]) <= tiny) {
                return null;
            }
            double[] t = a[col];
            a[col] = a[piv];
            a[piv] = t;
            double tb = b[col];
            b[col] = b[piv];
            b[piv] = tb;
            for (int r = col + 1; r < n; r++) {
                double f = a[r][col] / a[col][col];
                if (f == 0) {
                    continue;
                }
                for (int c = col; c < n; c++) {
                    a[r][c] -= f * a[col][c];
                }
                b[r] -= f * b[col];
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = b[r];
            for (int c = r + 1; c < n; c++) {
                s -= a[r][c] * x[c];
            }
            x[r] = s / a[r][r];
        }
        return x;
    }

    /**
     * Weighted least squares {@code min sum_i w_i (y_i - x_i . beta)^2 + ridge |beta|^2} without
     * an intercept; returns beta.
     */
    static double[] weightedLeastSquares(double[][] x, double[] y, double[] w, double ridge) {
        return new NormalEquations(x, w, ridge).solve(y);
    }

    /**
     * The normal equations {@code (X^T W X + ridge I) beta = X^T W y} of a design {@code X} and
     * weights {@code W} that stay fixed while the targets {@code y} change: KernelSHAP and LIME
     * share one design across all examples of a batch, so {@code X^T W X} (the {@code n p^2}
     * part) is accumulated once and each example costs {@code n p + p^3}. The sums are
     * accumulated in the same order as a one-off solve would, so the result is bit-identical.
     */
    static final class NormalEquations {
        private final double[][] x;
        private final double[] w;
        private final double[][] a;

        NormalEquations(double[][] x, double[] w, double ridge) {
            this.x = x;
            this.w = w;
            int p = x.length == 0 ? 0 : x[0].length;
            a = new double[p][p];
            for (int i = 0; i < x.length; i++) {
                double[] xi = x[i];
                double wi = w[i];
                for (int j = 0; j < p; j++) {
                    double v = wi * xi[j];
                    if (v == 0) {
                        continue;
                    }
                    double[] aj = a[j];
                    for (int k = 0; k < p; k++) {
                        aj[k] += v * xi[k];
                    }
                }
            }
            for (int j = 0; j < p; j++) {
                a[j][j] += ridge;
            }
        }

        /** {@code X^T W y}. */
        double[] rightHandSide(double[] y) {
            int p = a.length;
            double[] b = new double[p];
            for (int i = 0; i < x.length; i++) {
                double[] xi = x[i];
                double wi = w[i];
                for (int j = 0; j < p; j++) {
                    double v = wi * xi[j];
                    if (v == 0) {
                        continue;
                    }
                    b[j] += v * y[i];
                }
            }
            return b;
        }

        /** The unregularised Gram matrix plus ridge (shared; do not modify). */
        double[][] matrix() {
            return a;
        }

        /** beta for the targets {@code y}. */
        double[] solve(double[] y) {
            return Linear.solve(a, rightHandSide(y));
        }
    }
}
