package org.explain4j.core.method;

/** Weighted linear surrogate models with an intercept, for LIME. */
final class Surrogates {
    /** Coefficients (without the intercept), the intercept and the weighted R^2 on the fitted data. */
    record Fit(double[] coefficients, double intercept, double r2) {
    }

    private Surrogates() {
    }

    /** Weighted ridge: {@code min sum_i w_i (y_i - b - x_i . beta)^2 + alpha |beta|^2}. */
    static Fit ridge(double[][] x, double[] y, double[] w, double alpha) {
        Centered c = center(x, y, w);
        double[] beta = Linear.weightedLeastSquares(c.x, c.y, w, alpha);
        return finish(x, y, w, c, beta);
    }

    /**
     * Weighted lasso by cyclic coordinate descent:
     * {@code min (1 / (2 sum w)) sum_i w_i (y_i - b - x_i . beta)^2 + alpha |beta|_1}.
     */
    static Fit lasso(double[][] x, double[] y, double[] w, double alpha) {
        Centered c = center(x, y, w);
        int n = y.length;
        int p = n == 0 ? 0 : x[0].length;
        double sw = 0;
        for (double v : w) {
            sw += v;
        }
        double[] beta = new double[p];
        double[] resid = c.y.clone();
        double[] norm = new double[p];
        for (int j = 0; j < p; j++) {
            for (int i = 0; i < n; i++) {
                norm[j] += w[i] * c.x[i][j] * c.x[i][j];
            }
            norm[j] /= sw;
        }
        for (int iter = 0; iter < 10_000; iter++) {
            double maxChange = 0;
            for (int j = 0; j < p; j++) {
                if (norm[j] == 0) {
                    continue;
                }
                double rho = 0;
                for (int i = 0; i < n; i++) {
                    rho += w[i] * c.x[i][j] * (resid[i] + c.x[i][j] * beta[j]);
                }
                rho /= sw;
                double next = Math.signum(rho) * Math.max(Math.abs(rho) - alpha, 0) / norm[j];
                double delta = next - beta[j];
                if (delta != 0) {
                    for (int i = 0; i < n; i++) {
                        resid[i] -= c.x[i][j] * delta;
                    }
                    beta[j] = next;
                    maxChange = Math.max(maxChange, Math.abs(delta));
                }
            }
            if (maxChange < 1e-10) {
                break;
            }
        }
        return finish(x, y, w, c, beta);
    }

    private record Centered(double[][] x, double[] y, double[] meanX, double meanY) {
    }

    private static Centered center(double[][] x, double[] y, double[] w) {
        int n = y.length;
        int p = n == 0 ? 0 : x[0].length;
        double sw = 0;
        double my = 0;
        double[] mx = new double[p];
        for (int i = 0; i < n; i++) {
            sw += w[i];
            my += w[i] * y[i];
            for (int j = 0; j < p; j++) {
                mx[j] += w[i] * x[i][j];
            }
        }
        my /= sw;
        for (int j = 0; j < p; j++) {
            mx[j] /= sw;
        }
        double[][] cx = new double[n][p];
        double[] cy = new double[n];
        for (int i = 0; i < n; i++) {
            cy[i] = y[i] - my;
            for (int j = 0; j < p; j++) {
                cx[i][j] = x[i][j] - mx[j];
            }
        }
        return new Centered(cx, cy, mx, my);
    }

    private static Fit finish(double[][] x, double[] y, double[] w, Centered c, double[] beta) {
        double intercept = c.meanY;
        for (int j = 0; j < beta.length; j++) {
            intercept -= c.meanX[j] * beta[j];
        }
        double ssRes = 0;
        double ssTot = 0;
        for (int i = 0; i < y.length; i++) {
            double pred = intercept;
            for (int j = 0; j < beta.length; j++) {
                pred += x[i][j] * beta[j];
            }
            ssRes += w[i] * (y[i] - pred) * (y[i] - pred);
            ssTot += w[i] * (y[i] - c.meanY) * (y[i] - c.meanY);
        }
        double r2 = ssTot == 0 ? (ssRes == 0 ? 1.0 : 0.0) : 1.0 - ssRes / ssTot;
        return new Fit(beta, intercept, r2);
    }
}
