package org.explain4j.core;

import java.util.Arrays;

/**
 * The reference input an attribution compares against. Every form resolves, for each example of
 * a batch, to one or more reference rows of the example's size.
 */
public sealed interface Baseline {

    /** All zeros. */
    record Zeros() implements Baseline {
    }

    /** Every element set to one value. */
    record Constant(double value) implements Baseline {
        public Constant {
            if (!Double.isFinite(value)) {
                throw new Explain4jException(ErrorKind.NON_FINITE, "baseline", "baseline must be a finite number");
            }
        }
    }

    /**
     * A tensor of one example's shape, of shape {@code (1, ...)} broadcast over the batch, or of
     * shape {@code (N, ...)} with one reference per example.
     */
    record Fixed(Tensor tensor) implements Baseline {
        public Fixed {
            tensor.requireFinite("baseline");
        }
    }

    /**
     * A distribution of {@code K} reference rows, shape {@code (K, ...)}. Perturbation methods
     * average the model's output over the rows (as SHAP's kernel explainer does); DeepLIFT-SHAP
     * and GradientSHAP draw from or average over them.
     */
    record Distribution(Tensor rows) implements Baseline {
        public Distribution {
            rows.requireFinite("baseline");
            if (rows.rank() < 1 || rows.dim(0) < 1) {
                throw Explain4jException.shape("baseline", "a baseline distribution needs at least one row");
            }
        }
    }

    static Baseline zeros() {
        return new Zeros();
    }

    static Baseline constant(double value) {
        return new Constant(value);
    }

    static Baseline of(Tensor tensor) {
        return new Fixed(tensor);
    }

    static Baseline distribution(Tensor rows) {
        return new Distribution(rows);
    }

    /**
     * The reference rows for each example of {@code input}: {@code [N][K][D]} with {@code D} the
     * example size ({@code K = 1} except for a distribution).
     */
    default double[][][] rowsFor(Tensor input) {
        int n = input.batchSize();
        int d = input.exampleSize();
        int[] ex = input.exampleShape();
        double[][][] out = new double[n][][];
        // examples with the same reference share its array of rows (read-only, as the rows themselves)
        if (this instanceof Zeros) {
            Arrays.fill(out, new double[][] {new double[d]});
        } else if (this instanceof Constant c) {
            double[] v = new double[d];
            Arrays.fill(v, c.value());
            Arrays.fill(out, new double[][] {v});
        } else if (this instanceof Fixed f) {
            Tensor t = f.tensor();
            int[] s = t.shape();
            double[] all = t.toDoubleArray();
            if (Arrays.equals(s, ex)) {
                Arrays.fill(out, new double[][] {all});
            } else if (s.length == ex.length + 1 && Arrays.equals(Arrays.copyOfRange(s, 1, s.length), ex)
                    && (s[0] == 1 || s[0] == n)) {
                for (int i = 0; i < n; i++) {
                    int row = s[0] == 1 ? 0 : i;
                    out[i] = new double[][] {Arrays.copyOfRange(all, row * d, (row + 1) * d)};
                }
            } else {
                throw Explain4jException.shape("baseline", "baseline has shape " + Tensor.shapeString(s)
                        + " but the input is " + Tensor.shapeString(input.shape()) + "; pass shape (1"
                        + tail(ex) + ") to broadcast or (" + n + tail(ex) + ") for one baseline per example");
            }
        } else {
            Tensor t = ((Distribution) this).rows();
            int[] s = t.shape();
            if (s.length != ex.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), ex)) {
                throw Explain4jException.shape("baseline", "baseline distribution has shape " + Tensor.shapeString(s)
                        + " but examples have shape " + Tensor.shapeString(ex) + "; pass shape (K" + tail(ex) + ")");
            }
            double[] all = t.toDoubleArray();
            double[][] rows = new double[s[0]][];
            for (int k = 0; k < s[0]; k++) {
                rows[k] = Arrays.copyOfRange(all, k * d, (k + 1) * d);
            }
            for (int i = 0; i < n; i++) {
                out[i] = rows;
            }
        }
        return out;
    }

    /** A compact form for reports and JSON. */
    default String describe() {
        if (this instanceof Zeros) {
            return "zeros";
        }
        if (this instanceof Constant c) {
            return "constant(" + c.value() + ")";
        }
        if (this instanceof Fixed f) {
            return "tensor" + Tensor.shapeString(f.tensor().shape());
        }
        return "distribution" + Tensor.shapeString(((Distribution) this).rows().shape());
    }

    private static String tail(int[] ex) {
        StringBuilder b = new StringBuilder();
        for (int v : ex) {
            b.append(", ").append(v);
        }
        return b.toString();
    }
}
