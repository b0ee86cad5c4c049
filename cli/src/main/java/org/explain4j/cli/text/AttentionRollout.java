package org.explain4j.cli.text;

import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * Attention rollout (Abnar and Zuidema, 2020, "Quantifying Attention Flow in Transformers"):
 * each layer's attention averaged over the heads, the residual connection accounted for as
 * {@code 0.5 A + 0.5 I}, rows renormalised to sum to 1, and the layers multiplied from the first
 * up: {@code R_l = A'_l R_{l-1}}, {@code R_0 = I}. Row i of the result says how much of token i's
 * representation after the last layer flows from each input token.
 */
public final class AttentionRollout {
    /**
     * The per-layer head-averaged attentions and their rollout for one example.
     *
     * @param layers   per layer, the T x T attention averaged over heads (before the residual term)
     * @param rollout  per layer l, the rollout through layers 1..l (the last one is the model's)
     */
    public record Result(List<double[][]> layers, List<double[][]> rollout) {
        /** The rollout through every layer. */
        public double[][] last() {
            return rollout.get(rollout.size() - 1);
        }
    }

    private AttentionRollout() {
    }

    /**
     * Rollout of example {@code n} from the Softmax outputs of each layer (shape
     * {@code (N, H, T, T)}, or {@code (N, T, T)}), restricted to the first {@code length} tokens
     * (the unpadded ones; rows renormalised over them).
     */
    public static Result of(List<Tensor> softmaxes, int n, int length) {
        if (softmaxes.isEmpty()) {
            throw Explain4jException.unsupported("--attention", "the model has no Softmax (attention) to roll out");
        }
        List<double[][]> layers = new ArrayList<>();
        List<double[][]> rollout = new ArrayList<>();
        double[][] r = identity(length);
        for (Tensor s : softmaxes) {
            int[] sh = s.shape();
            if (sh.length < 3 || sh[sh.length - 1] != sh[sh.length - 2] || sh[sh.length - 1] < length) {
                throw Explain4jException.shape("--attention", "a Softmax output of shape " + Tensor.shapeString(sh)
                        + " is not a token-by-token attention");
            }
            int t = sh[sh.length - 1];
            int heads = sh.length == 4 ? sh[1] : 1;
            double[] v = s.toDoubleArray();
            double[][] a = new double[length][length];
            int base = n * heads * t * t;
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < length; i++) {
                    for (int j = 0; j < length; j++) {
                        a[i][j] += v[base + (h * t + i) * t + j] / heads;
                    }
                }
            }
            layers.add(a);
            double[][] res = new double[length][length];
            for (int i = 0; i < length; i++) {
                double sum = 0;
                for (int j = 0; j < length; j++) {
                    res[i][j] = 0.5 * a[i][j] + (i == j ? 0.5 : 0);
                    sum += res[i][j];
                }
                for (int j = 0; j < length; j++) {
                    res[i][j] /= sum;
                }
            }
            r = multiply(res, r);
            rollout.add(r);
        }
        return new Result(layers, rollout);
    }

    static double[][] identity(int t) {
        double[][] m = new double[t][t];
        for (int i = 0; i < t; i++) {
            m[i][i] = 1;
        }
        return m;
    }

    static double[][] multiply(double[][] a, double[][] b) {
        int t = a.length;
        double[][] c = new double[t][t];
        for (int i = 0; i < t; i++) {
            for (int k = 0; k < t; k++) {
                double x = a[i][k];
                for (int j = 0; j < t; j++) {
                    c[i][j] += x * b[k][j];
                }
            }
        }
        return c;
    }
}
