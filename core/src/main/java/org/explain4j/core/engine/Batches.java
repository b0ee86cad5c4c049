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
}
