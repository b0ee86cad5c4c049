package org.explain4j.core;

import java.util.Arrays;

/**
 * Which output an attribution explains. Every form resolves to a seed matrix {@code [N, C]}: the
 * explained quantity of example {@code n} is {@code sum_c seed[n][c] * output[n][c]}.
 */
public sealed interface Target {

    /** The same class index for every example. */
    record ClassIndex(int index) implements Target {
        public ClassIndex {
            if (index < 0) {
                throw Explain4jException.target("target", "target " + index + " is negative; pass a class index from 0");
            }
        }
    }

    /** One class index per example. */
    record PerExample(int[] indices) implements Target {
        public PerExample {
            indices = indices.clone();
            for (int i : indices) {
                if (i < 0) {
                    throw Explain4jException.target("target", "target " + i + " is negative; pass class indices from 0");
                }
            }
        }

        @Override
        public int[] indices() {
            return indices.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PerExample p && Arrays.equals(p.indices, indices);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(indices);
        }

        @Override
        public String toString() {
            return "PerExample" + Arrays.toString(indices);
        }
    }

    /** A fixed weighting of the outputs, the same for every example (for example {@code [1, -1]} for a margin). */
    record Weighting(double[] weights) implements Target {
        public Weighting {
            weights = weights.clone();
            for (double w : weights) {
                if (!Double.isFinite(w)) {
                    throw Explain4jException.target("target", "target weights must be finite");
                }
            }
        }

        @Override
        public double[] weights() {
            return weights.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Weighting w && Arrays.equals(w.weights, weights);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(weights);
        }

        @Override
        public String toString() {
            return "Weighting" + Arrays.toString(weights);
        }
    }

    static Target classIndex(int index) {
        return new ClassIndex(index);
    }

    /** One index for all examples when one value is given, else one per example. */
    static Target of(int... indices) {
        if (indices.length == 1) {
            return new ClassIndex(indices[0]);
        }
        return new PerExample(indices);
    }

    static Target weighting(double... weights) {
        return new Weighting(weights);
    }

    /**
     * The seed matrix for a batch of {@code batch} examples and {@code outputs} outputs each,
     * after checking that the target fits.
     */
    default double[][] seeds(int batch, int outputs) {
        double[][] s = new double[batch][outputs];
        if (this instanceof ClassIndex c) {
            checkIndex(c.index(), outputs);
            for (double[] row : s) {
                row[c.index()] = 1.0;
            }
        } else if (this instanceof PerExample p) {
            int[] idx = p.indices;
            if (idx.length != batch) {
                throw Explain4jException.target("target", "target has " + idx.length
                        + " class indices but the input batch has " + batch
                        + " examples; pass one index for all or one per example");
            }
            for (int n = 0; n < batch; n++) {
                checkIndex(idx[n], outputs);
                s[n][idx[n]] = 1.0;
            }
        } else {
            Weighting w = (Weighting) this;
            if (w.weights.length != outputs) {
                throw Explain4jException.target("target", "target weighting has " + w.weights.length
                        + " values but the model has " + outputs + " outputs; pass one weight per output");
            }
            for (double[] row : s) {
                System.arraycopy(w.weights, 0, row, 0, outputs);
            }
        }
        return s;
    }

    /** The target of one example of a batch, as a target of its own. */
    default Target forExample(int n) {
        return this instanceof PerExample p ? new ClassIndex(p.indices[n]) : this;
    }

    /** A compact form for reports and JSON: an int, an int array or a weight array. */
    default Object toJsonValue() {
        if (this instanceof ClassIndex c) {
            return c.index();
        }
        if (this instanceof PerExample p) {
            return p.indices();
        }
        return java.util.Map.of("weights", ((Weighting) this).weights());
    }

    private static void checkIndex(int index, int outputs) {
        requireInRange("target", index, outputs);
    }

    /**
     * Refuses a class index at or beyond a model's {@code outputs} outputs, with the one line that
     * methods, metrics and the command line's {@code --target} give: {@code argument} names what
     * the user passed ({@code target}, {@code --target}).
     */
    static void requireInRange(String argument, int index, int outputs) {
        if (index >= outputs) {
            throw Explain4jException.target(argument, argument + " " + index + " is out of range: the model has "
                    + outputs + " outputs (0.." + (outputs - 1) + "); give a class in that range");
        }
    }
}
