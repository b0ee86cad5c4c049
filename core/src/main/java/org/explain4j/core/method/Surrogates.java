package org.explain4j.core.method;

/**
 * Weighted linear surrogate models with an intercept, for LIME. LIME shares its coalitions and
 * their weights across the examples of a batch, so the design is prepared once ({@link Design}:
 * weighted centring and the weighted Gram matrix, {@code n p^2}) and each example's fit costs
 * {@code n p} for {@code X^T W y} plus a {@code p x p} solve (ridge) or coordinate-descent sweeps
 * of {@code p^2} each (lasso, covariance updates).
 */
final class Surrogates {
    /** Coefficients (without the intercept), the intercept and the weighted R^2 on the fitted data. */
    record Fit(double[] coefficients, double intercept, double r2) {
    }

    /** The most coordinate-descent sweeps of the lasso. */
    static final int LASSO_MAX_SWEEPS = 10_000;
    /** The lasso stops when no coefficient moved by more than this in a sweep. */
    static final double LASSO_TOLERANCE = 1e-10;

    private Surrogates() {
    }

    /** Weighted ridge: {@code min sum_i w_i (y_i - b - x_i . beta)^2 + alpha |beta|^2}. */
    static Fit ridge(double[][] x, double[] y, double[] w, double alpha) {
        return new Design(x, w).ridge(y, alpha);
    }

    /**
     * Weighted lasso by cyclic coordinate descent:
     * {@code min (1 / (2 sum w)) sum_i w_i (y_i - b - x_i . beta)^2 + alpha |beta|_1}.
     */
    static Fit lasso(double[][] x, double[] y, double[] w, double alpha) {
        return new Design(x, w).lasso(y, alpha);
    }

    /** A fixed design {@code x} ({@code n x p}) with weights {@code w}, fitted to many targets. */
    static final class Design {
        private final double[][] x;
        private final double[] w;
        private final double sw;
        private final double[] meanX;
        private final double[][] centred;
        private Linear.NormalEquations gram;
        private double lastRidge = Double.NaN;
        private Linear.NormalEquations ridgeSystem;

        Design(double[][] x, double[] w) {
            this.x = x;
            this.w = w;
            int n = w.length;
            int p = n == 0 ? 0 : x[0].length;
            double s = 0;
            double[] mx = new double[p];
            for (int i = 0; i < n; i++) {
                s += w[i];
                for (int j = 0; j < p; j++) {
                    mx[j] += w[i] * x[i][j];
                }
            }
            for (int j = 0; j < p; j++) {
                mx[j] /= s;
            }
            double[][] cx = new double[n][p];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < p; j++) {
                    cx[i][j] = x[i][j] - mx[j];
                }
            }
            this.sw = s;
            this.meanX = mx;
            this.centred = cx;
        }

        int features() {
            return meanX.length;
        }

        private double[] centredTargets(double[] y) {
            double my = 0;
            for (int i = 0; i < y.length; i++) {
                my += w[i] * y[i];
            }
            my /= sw;
            double[] cy = new double[y.length + 1];
            for (int i = 0; i < y.length; i++) {
                cy[i] = y[i] - my;
            }
            cy[y.length] = my;
            return cy;
        }

        /** Weighted ridge with an intercept (see {@link Surrogates#ridge}). */
        Fit ridge(double[] y, double alpha) {
            if (ridgeSystem == null || Double.compare(lastRidge, alpha) != 0) {
                ridgeSystem = new Linear.NormalEquations(centred, w, alpha);
                lastRidge = alpha;
            }
            double[] cy = centredTargets(y);
            double my = cy[y.length];
            double[] beta = ridgeSystem.solve(java.util.Arrays.copyOf(cy, y.length));
            return finish(y, my, beta);
        }

        /**
         * Weighted lasso with an intercept (see {@link Surrogates#lasso}) by cyclic coordinate
         * descent with covariance updates: with {@code G = Xc^T W Xc} and {@code c = Xc^T W yc}
         * (Xc, yc centred), coordinate j's partial residual correlation is
         * {@code (c_j - (G beta)_j + G_jj beta_j) / sum w}, and {@code G beta} is updated by one
         * column of G whenever a coefficient moves. The iterates are those of the residual form.
         */
        Fit lasso(double[] y, double alpha) {
            if (gram == null) {
                gram = new Linear.NormalEquations(centred, w, 0.0);
            }
            double[][] g = gram.matrix();
            int p = features();
            double[] cy = centredTargets(y);
            double my = cy[y.length];
            double[] c = gram.rightHandSide(java.util.Arrays.copyOf(cy, y.length));
            double[] beta = new double[p];
            double[] gb = new double[p];
            double[] norm = new double[p];
            for (int j = 0; j < p; j++) {
                norm[j] = g[j][j] / sw;
            }
            for (int sweep = 0; sweep < LASSO_MAX_SWEEPS; sweep++) {
                double maxChange = 0;
                for (int j = 0; j < p; j++) {
                    if (norm[j] == 0) {
                        continue;
                    }
                    double rho = (c[j] - gb[j] + g[j][j] * beta[j]) / sw;
                    double next = Math.signum(rho) * Math.max(Math.abs(rho) - alpha, 0) / norm[j];
                    double delta = next - beta[j];
                    if (delta != 0) {
                        double[] gj = g[j];
                        for (int k = 0; k < p; k++) {
                            gb[k] += gj[k] * delta;
                        }
                        beta[j] = next;
                        maxChange = Math.max(maxChange, Math.abs(delta));
                    }
                }
                if (maxChange < LASSO_TOLERANCE) {
                    break;
                }
            }
            return finish(y, my, beta);
        }

        private Fit finish(double[] y, double meanY, double[] beta) {
            double intercept = meanY;
            for (int j = 0; j < beta.length; j++) {
                intercept -= meanX[j] * beta[j];
            }
            double ssRes = 0;
            double ssTot = 0;
            for (int i = 0; i < y.length; i++) {
                double pred = intercept;
                double[] xi = x[i];
                for (int j = 0; j < beta.length; j++) {
                    pred += xi[j] * beta[j];
                }
                ssRes += w[i] * (y[i] - pred) * (y[i] - pred);
                ssTot += w[i] * (y[i] - meanY) * (y[i] - meanY);
            }
            double r2 = ssTot == 0 ? (ssRes == 0 ? 1.0 : 0.0) : 1.0 - ssRes / ssTot;
            return new Fit(beta, intercept, r2);
        }
    }
}
