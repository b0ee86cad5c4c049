package org.explain4j.onnx.grad.propagation;

import static org.explain4j.onnx.grad.propagation.NaiveLrp.stabilize;

/**
 * AttnLRP on {@link ModernBlocks#attention} for one example, in plain loops: epsilon on every
 * MatMul with a weight and on the classifier, AttnLRP's bilinear epsilon on {@code q k^T} and
 * {@code p v}, its softmax rule, the norm rule on the mask Add, the residual Add and the mean over
 * tokens, the identity rule on the scaling. {@code x[t][i]}, weights {@code W[in][out]},
 * {@code Wc[class][in]}.
 */
final class NaiveAttnLrp {
    private final int heads;
    private final int dh;
    private final double eps;
    private final double[][] wq;
    private final double[][] wk;
    private final double[][] wv;
    private final double[][] wo;
    private final double[][] wc;
    private final double scale;
    private final double[][] mask;

    NaiveAttnLrp(Net net, int heads, double eps) {
        this.heads = heads;
        this.dh = ModernBlocks.D / heads;
        this.eps = eps;
        int d = ModernBlocks.D;
        wq = matrix(net.values("Wq"), d, d);
        wk = matrix(net.values("Wk"), d, d);
        wv = matrix(net.values("Wv"), d, d);
        wo = matrix(net.values("Wo"), d, d);
        wc = matrix(net.values("Wc"), 3, d);
        scale = net.values("scale")[0];
        mask = matrix(net.values("mask"), ModernBlocks.T, ModernBlocks.T);
    }

    /** Row-major values as a {@code [rows][cols]} matrix. */
    static double[][] matrix(double[] v, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(v, r * cols, m[r], 0, cols);
        }
        return m;
    }

    private static double[][] times(double[][] x, double[][] w) {
        double[][] r = new double[x.length][w[0].length];
        for (int t = 0; t < x.length; t++) {
            for (int j = 0; j < w[0].length; j++) {
                for (int i = 0; i < w.length; i++) {
                    r[t][j] += x[t][i] * w[i][j];
                }
            }
        }
        return r;
    }

    /** Epsilon through {@code z = x W} per token: adds {@code x * W (R / stab(z))} to {@code into}. */
    private void linear(double[][] x, double[][] w, double[][] z, double[][] r, double[][] into) {
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < w.length; i++) {
                double s = 0;
                for (int j = 0; j < w[0].length; j++) {
                    s += w[i][j] * r[t][j] / stabilize(z[t][j], eps);
                }
                into[t][i] += x[t][i] * s;
            }
        }
    }

    /** The relevance of {@code x} ({@code [T][D]}) for class {@code target}, seeded with its logit. */
    double[][] relevance(double[][] x, int target) {
        int tn = x.length;
        int d = ModernBlocks.D;
        double[][] q = times(x, wq);
        double[][] k = times(x, wk);
        double[][] v = times(x, wv);
        double[][][] s = new double[heads][tn][tn];
        double[][][] z = new double[heads][tn][tn];
        double[][][] p = new double[heads][tn][tn];
        double[][] o = new double[tn][d];
        for (int h = 0; h < heads; h++) {
            for (int t = 0; t < tn; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int u = 0; u < tn; u++) {
                    for (int e = 0; e < dh; e++) {
                        s[h][t][u] += q[t][h * dh + e] * k[u][h * dh + e];
                    }
                    z[h][t][u] = s[h][t][u] * scale + mask[t][u];
                    max = Math.max(max, z[h][t][u]);
                }
                double sum = 0;
                for (int u = 0; u < tn; u++) {
                    p[h][t][u] = Math.exp(z[h][t][u] - max);
                    sum += p[h][t][u];
                }
                for (int u = 0; u < tn; u++) {
                    p[h][t][u] /= sum;
                    for (int e = 0; e < dh; e++) {
                        o[t][h * dh + e] += p[h][t][u] * v[u][h * dh + e];
                    }
                }
            }
        }
        double[][] a = times(o, wo);
        double[][] r = new double[tn][d];
        double[] m = new double[d];
        for (int t = 0; t < tn; t++) {
            for (int j = 0; j < d; j++) {
                r[t][j] = a[t][j] + x[t][j];
                m[j] += r[t][j] / tn;
            }
        }
        double y = 0;
        for (int j = 0; j < d; j++) {
            y += wc[target][j] * m[j];
        }
        // classifier (epsilon), mean over tokens and residual Add (norm)
        double[][] rx = new double[tn][d];
        double[][] ra = new double[tn][d];
        for (int j = 0; j < d; j++) {
            double rm = m[j] * wc[target][j] * y / stabilize(y, eps);
            for (int t = 0; t < tn; t++) {
                double rr = r[t][j] * rm / stabilize(m[j], eps) / tn;
                ra[t][j] = a[t][j] * rr / stabilize(r[t][j], eps);
                rx[t][j] += x[t][j] * rr / stabilize(r[t][j], eps);
            }
        }
        double[][] ro = new double[tn][d];
        linear(o, wo, a, ra, ro);
        double[][] rq = new double[tn][d];
        double[][] rk = new double[tn][d];
        double[][] rv = new double[tn][d];
        for (int h = 0; h < heads; h++) {
            // p v: bilinear epsilon
            double[][] rp = new double[tn][tn];
            for (int t = 0; t < tn; t++) {
                for (int e = 0; e < dh; e++) {
                    int c = h * dh + e;
                    double so = ro[t][c] / stabilize(o[t][c], eps);
                    for (int u = 0; u < tn; u++) {
                        rp[t][u] += 0.5 * p[h][t][u] * v[u][c] * so;
                        rv[u][c] += 0.5 * p[h][t][u] * v[u][c] * so;
                    }
                }
            }
            // softmax (AttnLRP), the mask Add (norm), the scaling (identity), q k^T (bilinear epsilon)
            for (int t = 0; t < tn; t++) {
                double total = 0;
                for (int u = 0; u < tn; u++) {
                    total += rp[t][u];
                }
                for (int u = 0; u < tn; u++) {
                    double rz = z[h][t][u] * (rp[t][u] - p[h][t][u] * total);
                    double scaled = s[h][t][u] * scale;
                    double rs = scaled * rz / stabilize(z[h][t][u], eps);
                    double ss = rs / stabilize(s[h][t][u], eps);
                    for (int e = 0; e < dh; e++) {
                        int c = h * dh + e;
                        rq[t][c] += 0.5 * q[t][c] * k[u][c] * ss;
                        rk[u][c] += 0.5 * q[t][c] * k[u][c] * ss;
                    }
                }
            }
        }
        linear(x, wq, q, rq, rx);
        linear(x, wk, k, rk, rx);
        linear(x, wv, v, rv, rx);
        return rx;
    }
}
