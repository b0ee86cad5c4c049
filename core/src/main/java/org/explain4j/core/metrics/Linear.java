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

    /**
     * Solves {@code M v = r} for a sparse symmetric positive definite M (diagonal {@code diag},
     * off-diagonal {@code M[u][nbr[u][t]] = -nbrW[u][t]}) by Jacobi-preconditioned conjugate
     * gradients, to a relative residual of 1e-13.
     */
    static double[] conjugateGradient(double[] diag, int[][] nbr, double[][] nbrW, double[] r0) {
        int k = diag.length;
        double[] v = new double[k];
        double[] r = r0.clone();
        double[] z = new double[k];
        double[] p = new double[k];
        double[] q = new double[k];
        double norm0 = Math.sqrt(dot(r0, r0));
        if (norm0 == 0) {
            return v;
        }
        for (int i = 0; i < k; i++) {
            z[i] = r[i] / diag[i];
        }
        System.arraycopy(z, 0, p, 0, k);
        double rz = dot(r, z);
        for (int it = 0; it < 10 * k + 100; it++) {
            for (int u = 0; u < k; u++) {
                double s = diag[u] * p[u];
                for (int t = 0; t < nbr[u].length; t++) {
                    s -= nbrW[u][t] * p[nbr[u][t]];
                }
                q[u] = s;
            }
            double alpha = rz / dot(p, q);
            for (int i = 0; i < k; i++) {
                v[i] += alpha * p[i];
                r[i] -= alpha * q[i];
            }
            if (Math.sqrt(dot(r, r)) <= 1e-13 * norm0) {
                return v;
            }
            for (int i = 0; i < k; i++) {
                z[i] = r[i] / diag[i];
            }
            double rzNew = dot(r, z);
            double beta = rzNew / rz;
            rz = rzNew;
            for (int i = 0; i < k; i++) {
                p[i] = z[i] + beta * p[i];
            }
        }
        throw new IllegalStateException("the imputation system did not converge");
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
