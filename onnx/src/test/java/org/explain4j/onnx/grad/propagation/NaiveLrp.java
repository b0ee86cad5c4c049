package org.explain4j.onnx.grad.propagation;

/**
 * The LRP rules in matrix form, with plain loops (Zennit's own tests do the same): a layer of one
 * example is {@code z = A x + b} with {@code A} of shape {@code [out][in]}.
 */
final class NaiveLrp {
    private NaiveLrp() {
    }

    static double stabilize(double z, double eps) {
        return z + eps * (z < 0 ? -1 : 1);
    }

    static double divide(double num, double den, double eps) {
        if (eps == 0) {
            return den == 0 ? 0 : num / den;
        }
        return num / stabilize(den, eps);
    }

    static double[] z(double[][] a, double[] b, double[] x) {
        double[] z = new double[a.length];
        for (int k = 0; k < a.length; k++) {
            z[k] = b == null ? 0 : b[k];
            for (int j = 0; j < x.length; j++) {
                z[k] += a[k][j] * x[j];
            }
        }
        return z;
    }

    /** {@code A^T s}. */
    static double[] back(double[][] a, double[] s) {
        double[] r = new double[a[0].length];
        for (int k = 0; k < a.length; k++) {
            for (int j = 0; j < r.length; j++) {
                r[j] += a[k][j] * s[k];
            }
        }
        return r;
    }

    static double[][] map(double[][] a, java.util.function.DoubleUnaryOperator f) {
        double[][] r = new double[a.length][];
        for (int k = 0; k < a.length; k++) {
            r[k] = new double[a[k].length];
            for (int j = 0; j < a[k].length; j++) {
                r[k][j] = f.applyAsDouble(a[k][j]);
            }
        }
        return r;
    }

    static double[] map(double[] v, java.util.function.DoubleUnaryOperator f) {
        if (v == null) {
            return null;
        }
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = f.applyAsDouble(v[i]);
        }
        return r;
    }

    static double[] add(double[] a, double[] b) {
        double[] r = a.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] += b[i];
        }
        return r;
    }

    static double[] scale(double[] a, double f) {
        return map(a, v -> v * f);
    }

    static double[] times(double[] a, double[] b) {
        double[] r = a.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] *= b[i];
        }
        return r;
    }

    private static double[] normalise(double[] rel, double[] den, double eps) {
        double[] s = new double[rel.length];
        for (int k = 0; k < s.length; k++) {
            s[k] = divide(rel[k], den[k], eps);
        }
        return s;
    }

    static double pos(double v) {
        return Math.max(v, 0);
    }

    static double neg(double v) {
        return Math.min(v, 0);
    }

    static double[] epsilon(double[][] a, double[] b, double[] x, double[] rel, double eps) {
        return times(x, back(a, normalise(rel, z(a, b, x), eps)));
    }

    static double[] zPlus(double[][] a, double[] b, double[] x, double[] rel, double eps) {
        double[][] ap = map(a, NaiveLrp::pos);
        double[][] an = map(a, NaiveLrp::neg);
        double[] xp = map(x, NaiveLrp::pos);
        double[] xn = map(x, NaiveLrp::neg);
        double[] s = normalise(rel, add(z(ap, map(b, NaiveLrp::pos), xp), z(an, null, xn)), eps);
        return add(times(xp, back(ap, s)), times(xn, back(an, s)));
    }

    static double[] alphaBeta(double[][] a, double[] b, double[] x, double[] rel, double alpha, double beta,
                              double eps) {
        double[][] ap = map(a, NaiveLrp::pos);
        double[][] an = map(a, NaiveLrp::neg);
        double[] xp = map(x, NaiveLrp::pos);
        double[] xn = map(x, NaiveLrp::neg);
        double[] sp = normalise(rel, add(z(ap, map(b, NaiveLrp::pos), xp), z(an, null, xn)), eps);
        double[] sn = normalise(rel, add(z(an, map(b, NaiveLrp::neg), xp), z(ap, null, xn)), eps);
        double[] p = add(times(xp, back(ap, sp)), times(xn, back(an, sp)));
        double[] n = add(times(xp, back(an, sn)), times(xn, back(ap, sn)));
        return add(scale(p, alpha), scale(n, -beta));
    }

    static double[] gamma(double[][] a, double[] b, double[] x, double[] rel, double gamma, double eps) {
        double[][] up = map(a, v -> v + gamma * pos(v));
        double[][] down = map(a, v -> v + gamma * neg(v));
        double[] bUp = map(b, v -> v + gamma * pos(v));
        double[] bDown = map(b, v -> v + gamma * neg(v));
        double[] xp = map(x, NaiveLrp::pos);
        double[] xn = map(x, NaiveLrp::neg);
        double[] z = z(a, b, x);
        double[] sPos = normalise(rel, add(z(up, bUp, xp), z(down, null, xn)), eps);
        double[] sNeg = normalise(rel, add(z(down, bDown, xp), z(up, null, xn)), eps);
        for (int k = 0; k < z.length; k++) {
            sPos[k] *= z[k] > 0 ? 1 : 0;
            sNeg[k] *= z[k] < 0 ? 1 : 0;
        }
        return add(times(xp, add(back(up, sPos), back(down, sNeg))),
                times(xn, add(back(down, sPos), back(up, sNeg))));
    }

    /** Flat and w-square: {@code a} is the ones-structure or the squared weights, {@code b} null or squared bias. */
    static double[] onesInput(double[][] a, double[] b, double[] rel, double eps) {
        double[] ones = new double[a[0].length];
        java.util.Arrays.fill(ones, 1);
        return back(a, normalise(rel, z(a, b, ones), eps));
    }

    static double[] zBox(double[][] a, double[] x, double[] low, double[] high, double[] rel, double eps) {
        double[][] ap = map(a, NaiveLrp::pos);
        double[][] an = map(a, NaiveLrp::neg);
        double[] den = add(z(a, null, x), scale(add(z(ap, null, low), z(an, null, high)), -1));
        double[] s = normalise(rel, den, eps);
        return add(times(x, back(a, s)), scale(add(times(low, back(ap, s)), times(high, back(an, s))), -1));
    }

    /** The dense matrix of a Gemm's effective weight {@code alpha op(B)}^T, {@code [M][K]}. */
    static double[][] dense(double[] w, int m, int k, boolean transB, double alpha) {
        double[][] a = new double[m][k];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                a[i][j] = alpha * (transB ? w[i * k + j] : w[j * m + i]);
            }
        }
        return a;
    }

    /**
     * The dense matrix of a 2-D convolution of one example {@code [c][h][w]}: rows
     * {@code (m, oh, ow)}, columns {@code (c, ih, iw)}.
     */
    static double[][] conv(double[] w, int cIn, int h, int wd, int m, int kh, int kw, int[] strides, int[] pads,
                           int[] dilations, int group) {
        int oh = (h + pads[0] + pads[2] - ((kh - 1) * dilations[0] + 1)) / strides[0] + 1;
        int ow = (wd + pads[1] + pads[3] - ((kw - 1) * dilations[1] + 1)) / strides[1] + 1;
        int cPerGroup = cIn / group;
        int mPerGroup = m / group;
        double[][] a = new double[m * oh * ow][cIn * h * wd];
        for (int o = 0; o < m; o++) {
            int g = o / mPerGroup;
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int row = (o * oh + y) * ow + x;
                    for (int cc = 0; cc < cPerGroup; cc++) {
                        int c = g * cPerGroup + cc;
                        for (int i = 0; i < kh; i++) {
                            for (int j = 0; j < kw; j++) {
                                int iy = y * strides[0] - pads[0] + i * dilations[0];
                                int ix = x * strides[1] - pads[1] + j * dilations[1];
                                if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
                                    a[row][(c * h + iy) * wd + ix] += w[((o * cPerGroup + cc) * kh + i) * kw + j];
                                }
                            }
                        }
                    }
                }
            }
        }
        return a;
    }

    /** A per-output-channel bias repeated over the {@code positions} of each channel. */
    static double[] channelBias(double[] b, int positions) {
        double[] r = new double[b.length * positions];
        for (int i = 0; i < r.length; i++) {
            r[i] = b[i / positions];
        }
        return r;
    }
}
