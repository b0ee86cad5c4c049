package org.explain4j.core.engine;

import org.explain4j.core.DType;
import org.explain4j.core.Tensor;

/** Assembles a batch tensor from rows produced on demand. */
final class Batches {
    private Batches() {
    }

    /** Rows {@code from .. from + m - 1} of {@code filler} as a tensor of {@code type}, shape {@code (m, exampleShape...)}. */
    static Tensor fill(DType type, int m, int[] exampleShape, int from, EvaluationEngine.RowFiller filler) {
        int d = (int) Tensor.sizeOf(exampleShape);
        double[] row = new double[d];
        int[] shape = new int[exampleShape.length + 1];
        shape[0] = m;
        System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
        switch (type) {
            case INT64, INT32 -> {
                long[] buf = new long[m * d];
                for (int i = 0; i < m; i++) {
                    filler.fill(from + i, row);
                    for (int j = 0; j < d; j++) {
                        buf[i * d + j] = Math.round(row[j]);
                    }
                }
                return type == DType.INT32 ? Tensor.ofInt32(buf, shape) : Tensor.ofLongs(buf, shape);
            }
            case FLOAT64 -> {
                double[] buf = new double[m * d];
                for (int i = 0; i < m; i++) {
                    filler.fill(from + i, row);
                    System.arraycopy(row, 0, buf, i * d, d);
                }
                return Tensor.ofDoubles(buf, shape);
            }
            default -> {
                float[] buf = new float[m * d];
                for (int i = 0; i < m; i++) {
                    filler.fill(from + i, row);
                    for (int j = 0; j < d; j++) {
                        buf[i * d + j] = (float) row[j];
                    }
                }
                return Tensor.ofFloats(buf, shape);
            }
        }
    }

    /**
     * The reusable input and output buffers of one {@code evaluate} call: float32 rows are written
     * straight into one array (no double row per element, no array per batch), outputs are read
     * into one array of doubles. The input array is copied into each batch's tensor (a
     * {@link Tensor} owns its data), so a later batch never changes an earlier one; a short last
     * batch takes only its own rows.
     */
    static final class Buffers {
        private final DType type;
        private final int[] exampleShape;
        private final int d;
        private final float[] in;
        private final double[] row;
        private final Outputs out = new Outputs();

        Buffers(DType type, int maxRows, int[] exampleShape) {
            this.type = type;
            this.exampleShape = exampleShape;
            this.d = (int) Tensor.sizeOf(exampleShape);
            this.in = type == DType.FLOAT32 ? new float[Math.multiplyExact(Math.max(1, maxRows), d)] : null;
            this.row = new double[d];
        }

        /** Rows {@code from .. from + m - 1} of {@code filler} as a batch tensor of shape {@code (m, exampleShape...)}. */
        Tensor fill(int m, int from, EvaluationEngine.RowFiller filler) {
            if (in == null) {
                return Batches.fill(type, m, exampleShape, from, filler);
            }
            filler.fill(from, m, in, row);
            int[] shape = new int[exampleShape.length + 1];
            shape[0] = m;
            System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
            return Tensor.ofFloats(m * d == in.length ? in : java.util.Arrays.copyOf(in, m * d), shape);
        }

        /** The batch's outputs {@code [m, c]} as doubles, in an array reused by the next batch. */
        double[] outputs(Tensor o) {
            return out.of(o);
        }
    }

    /** One array of doubles into which each batch's outputs are read, reused from batch to batch. */
    static final class Outputs {
        private double[] out = new double[0];

        /** The batch's outputs {@code [m, c]} as doubles, in the array the next batch reuses. */
        double[] of(Tensor o) {
            int n = o.size();
            if (out.length < n) {
                out = new double[n];
            }
            for (int i = 0; i < n; i++) {
                out[i] = o.getDouble(i);
            }
            return out;
        }
    }
}
