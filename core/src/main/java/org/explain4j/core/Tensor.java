package org.explain4j.core;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable, heap-backed, dense tensor in C (row-major) order: float32, float64 or int64
 * elements and a shape. The first dimension is the batch wherever a tensor holds model inputs
 * or outputs.
 *
 * <p>This is a container, not a maths library: arithmetic lives in the methods that need it.
 * Factories copy the array they are given and accessors return copies or read-only views, so a
 * tensor never changes after it is made.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final float[] f32;
    private final double[] f64;
    private final long[] i64;

    private Tensor(DType dtype, int[] shape, float[] f32, double[] f64, long[] i64) {
        this.dtype = dtype;
        this.shape = shape;
        this.f32 = f32;
        this.f64 = f64;
        this.i64 = i64;
        long expected = sizeOf(shape);
        int actual = f32 != null ? f32.length : f64 != null ? f64.length : i64.length;
        if (expected != actual) {
            throw Explain4jException.shape("data", "shape " + shapeString(shape) + " holds " + expected
                    + " elements but " + actual + " were given; pass data whose length is the product of the shape");
        }
    }

    /** A float32 tensor holding a copy of {@code data}. */
    public static Tensor ofFloats(float[] data, int... shape) {
        return new Tensor(DType.FLOAT32, checkShape(shape), data.clone(), null, null);
    }

    /** A float64 tensor holding a copy of {@code data}. */
    public static Tensor ofDoubles(double[] data, int... shape) {
        return new Tensor(DType.FLOAT64, checkShape(shape), null, data.clone(), null);
    }

    /** An int64 tensor holding a copy of {@code data}. */
    public static Tensor ofLongs(long[] data, int... shape) {
        return new Tensor(DType.INT64, checkShape(shape), null, null, data.clone());
    }

    /** An int32 tensor holding {@code data} (each value must fit in 32 bits). */
    public static Tensor ofInt32(long[] data, int... shape) {
        for (long v : data) {
            if (v != (int) v) {
                throw Explain4jException.dtype("tensor", "the value " + v + " does not fit in int32");
            }
        }
        return new Tensor(DType.INT32, checkShape(shape), null, null, data.clone());
    }

    /** A tensor of the given type and shape filled with {@code value}. */
    public static Tensor full(DType dtype, double value, int... shape) {
        int n = Math.toIntExact(sizeOf(checkShape(shape)));
        return switch (dtype) {
            case FLOAT32 -> {
                float[] d = new float[n];
                Arrays.fill(d, (float) value);
                yield new Tensor(dtype, shape.clone(), d, null, null);
            }
            case FLOAT64 -> {
                double[] d = new double[n];
                Arrays.fill(d, value);
                yield new Tensor(dtype, shape.clone(), null, d, null);
            }
            case INT64, INT32 -> {
                long[] d = new long[n];
                Arrays.fill(d, (long) value);
                yield new Tensor(dtype, shape.clone(), null, null, d);
            }
        };
    }

    /** A zero tensor of the given type and shape. */
    public static Tensor zeros(DType dtype, int... shape) {
        return full(dtype, 0.0, shape);
    }

    /** A float32 tensor from doubles, rounding each element. */
    public static Tensor ofDoublesAsFloats(double[] data, int... shape) {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return new Tensor(DType.FLOAT32, checkShape(shape), f, null, null);
    }

    public DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    /** Number of elements. */
    public int size() {
        return (int) sizeOf(shape);
    }

    /** Size of the first (batch) dimension. */
    public int batchSize() {
        requireRankAtLeast(1);
        return shape[0];
    }

    /** The shape of one example: the shape without its first dimension. */
    public int[] exampleShape() {
        requireRankAtLeast(1);
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    /** Number of elements in one example. */
    public int exampleSize() {
        requireRankAtLeast(1);
        return (int) sizeOf(exampleShape());
    }

    /** Element {@code i} (flat, C order) as a double. */
    public double getDouble(int i) {
        return switch (dtype) {
            case FLOAT32 -> f32[i];
            case FLOAT64 -> f64[i];
            case INT64, INT32 -> i64[i];
        };
    }

    /** Element {@code i} (flat, C order) as a long; floating values are truncated. */
    public long getLong(int i) {
        return switch (dtype) {
            case FLOAT32 -> (long) f32[i];
            case FLOAT64 -> (long) f64[i];
            case INT64, INT32 -> i64[i];
        };
    }

    /** A copy of the elements as floats. */
    public float[] toFloatArray() {
        if (dtype == DType.FLOAT32) {
            return f32.clone();
        }
        float[] out = new float[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) getDouble(i);
        }
        return out;
    }

    /** A copy of the elements as doubles. */
    public double[] toDoubleArray() {
        if (dtype == DType.FLOAT64) {
            return f64.clone();
        }
        double[] out = new double[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = getDouble(i);
        }
        return out;
    }

    /** A copy of the elements as longs. */
    public long[] toLongArray() {
        if (!dtype.isFloating()) {
            return i64.clone();
        }
        long[] out = new long[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = getLong(i);
        }
        return out;
    }

    /** A read-only view of float32 data. */
    public FloatBuffer floatBuffer() {
        requireType(DType.FLOAT32);
        return FloatBuffer.wrap(f32).asReadOnlyBuffer();
    }

    /** A read-only view of float64 data. */
    public DoubleBuffer doubleBuffer() {
        requireType(DType.FLOAT64);
        return DoubleBuffer.wrap(f64).asReadOnlyBuffer();
    }

    /** A read-only view of int64 (or int32, held as longs) data. */
    public LongBuffer longBuffer() {
        if (dtype != DType.INT32) {
            requireType(DType.INT64);
        }
        return LongBuffer.wrap(i64).asReadOnlyBuffer();
    }

    /** The same elements converted to another element type. */
    public Tensor to(DType target) {
        if (target == dtype) {
            return this;
        }
        return switch (target) {
            case FLOAT32 -> new Tensor(target, shape, toFloatArray(), null, null);
            case FLOAT64 -> new Tensor(target, shape, null, toDoubleArray(), null);
            case INT64 -> new Tensor(target, shape, null, null, toLongArray());
            case INT32 -> ofInt32(toLongArray(), shape);
        };
    }

    /** The same elements under another shape of equal size. */
    public Tensor reshape(int... newShape) {
        int[] s = checkShape(newShape);
        if (sizeOf(s) != size()) {
            throw Explain4jException.shape("shape", "cannot reshape " + shapeString(shape) + " to "
                    + shapeString(s) + ": sizes differ");
        }
        return new Tensor(dtype, s.clone(), f32, f64, i64);
    }

    /** Examples {@code from} (inclusive) to {@code to} (exclusive) along the batch dimension. */
    public Tensor slice(int from, int to) {
        requireRankAtLeast(1);
        if (from < 0 || to > shape[0] || from > to) {
            throw Explain4jException.shape("slice", "rows " + from + ".." + to + " are outside a batch of " + shape[0]);
        }
        int per = exampleSize();
        int[] s = shape.clone();
        s[0] = to - from;
        return switch (dtype) {
            case FLOAT32 -> new Tensor(dtype, s, Arrays.copyOfRange(f32, from * per, to * per), null, null);
            case FLOAT64 -> new Tensor(dtype, s, null, Arrays.copyOfRange(f64, from * per, to * per), null);
            case INT64, INT32 -> new Tensor(dtype, s, null, null, Arrays.copyOfRange(i64, from * per, to * per));
        };
    }

    /** Example {@code n}, keeping a batch dimension of 1. */
    public Tensor example(int n) {
        return slice(n, n + 1);
    }

    /** Concatenates tensors of equal type and example shape along the batch dimension. */
    public static Tensor concat(List<Tensor> parts) {
        if (parts.isEmpty()) {
            throw Explain4jException.shape("parts", "nothing to concatenate");
        }
        Tensor first = parts.get(0);
        int[] ex = first.exampleShape();
        int rows = 0;
        for (Tensor t : parts) {
            if (t.dtype != first.dtype || !Arrays.equals(t.exampleShape(), ex)) {
                throw Explain4jException.shape("parts", "cannot concatenate " + t.describe() + " with " + first.describe());
            }
            rows += t.shape[0];
        }
        int[] s = first.shape.clone();
        s[0] = rows;
        int total = Math.toIntExact(sizeOf(s));
        int at = 0;
        switch (first.dtype) {
            case FLOAT32 -> {
                float[] d = new float[total];
                for (Tensor t : parts) {
                    System.arraycopy(t.f32, 0, d, at, t.f32.length);
                    at += t.f32.length;
                }
                return new Tensor(first.dtype, s, d, null, null);
            }
            case FLOAT64 -> {
                double[] d = new double[total];
                for (Tensor t : parts) {
                    System.arraycopy(t.f64, 0, d, at, t.f64.length);
                    at += t.f64.length;
                }
                return new Tensor(first.dtype, s, null, d, null);
            }
            default -> {
                long[] d = new long[total];
                for (Tensor t : parts) {
                    System.arraycopy(t.i64, 0, d, at, t.i64.length);
                    at += t.i64.length;
                }
                return new Tensor(first.dtype, s, null, null, d);
            }
        }
    }

    /** Index of the first NaN or infinite element, or -1 when all are finite. */
    public int firstNonFinite() {
        if (dtype == DType.FLOAT32) {
            for (int i = 0; i < f32.length; i++) {
                if (!Float.isFinite(f32[i])) {
                    return i;
                }
            }
        } else if (dtype == DType.FLOAT64) {
            for (int i = 0; i < f64.length; i++) {
                if (!Double.isFinite(f64[i])) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Throws a {@link ErrorKind#NON_FINITE} error naming {@code argument} if any element is NaN or infinite. */
    public Tensor requireFinite(String argument) {
        int bad = firstNonFinite();
        if (bad >= 0) {
            throw new Explain4jException(ErrorKind.NON_FINITE, argument, argument + " has a non-finite value ("
                    + getDouble(bad) + ") at index " + indexString(bad) + "; replace NaN and infinite values before explaining");
        }
        return this;
    }

    /**
     * Throws a {@link ErrorKind#NON_FINITE} error naming {@code argument} if a float64 element
     * lies outside float32's range (it would become infinite when the model reads it as float32).
     */
    public Tensor requireFloat32Range(String argument) {
        if (dtype == DType.FLOAT64) {
            for (int i = 0; i < f64.length; i++) {
                if (Math.abs(f64[i]) > Float.MAX_VALUE) {
                    throw new Explain4jException(ErrorKind.NON_FINITE, argument, argument + " has the value " + f64[i]
                            + " at index " + indexString(i) + ", outside float32's range (|x| <= " + Float.MAX_VALUE
                            + ") which the model computes in; scale or clip the input");
                }
            }
        }
        return this;
    }

    /** The position of flat element {@code flat} in this tensor's shape, e.g. {@code [0, 2, 3]}. */
    public String indexString(int flat) {
        int[] idx = new int[shape.length];
        int rest = flat;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] > 0) {
                idx[d] = rest % shape[d];
                rest /= shape[d];
            }
        }
        return Arrays.toString(idx);
    }

    /** A short description: type and shape. */
    public String describe() {
        return dtype.label() + shapeString(shape);
    }

    /** Formats a shape as {@code (a, b, c)}. */
    public static String shapeString(int[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(shape[i]);
        }
        return b.append(')').toString();
    }

    /** The number of elements of a shape. */
    public static long sizeOf(int[] shape) {
        long n = 1;
        for (int d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                // a shape read from an untrusted header must not wrap around to a small size
                throw Explain4jException.shape("shape", "shape " + shapeString(shape) + " has more elements than a "
                        + "64-bit count holds");
            }
        }
        return n;
    }

    private static int[] checkShape(int[] shape) {
        for (int d : shape) {
            if (d < 0) {
                throw Explain4jException.shape("shape", "negative dimension in " + shapeString(shape));
            }
        }
        if (sizeOf(shape) > Integer.MAX_VALUE - 8) {
            throw Explain4jException.shape("shape", "tensor " + shapeString(shape) + " is too large for one Java array");
        }
        return shape;
    }

    private void requireRankAtLeast(int r) {
        if (shape.length < r) {
            throw Explain4jException.shape("tensor", "expected a batch dimension but the tensor is a scalar");
        }
    }

    private void requireType(DType t) {
        if (dtype != t) {
            throw Explain4jException.dtype("tensor", "expected " + t.label() + " but the tensor is " + dtype.label());
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Tensor t) || t.dtype != dtype || !Arrays.equals(t.shape, shape)) {
            return false;
        }
        return Arrays.equals(f32, t.f32) && Arrays.equals(f64, t.f64) && Arrays.equals(i64, t.i64);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape))
                + Arrays.hashCode(f32) + Arrays.hashCode(f64) + Arrays.hashCode(i64);
    }

    @Override
    public String toString() {
        return "Tensor" + describe();
    }
}
