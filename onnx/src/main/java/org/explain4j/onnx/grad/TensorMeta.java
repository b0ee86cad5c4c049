package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.Arrays;

/**
 * The element type and concrete shape of one tensor of a graph, as learnt from a probe run.
 *
 * @param elemType the ONNX element type ({@code TensorProto.DataType} number)
 * @param shape    the concrete shape (empty for a scalar)
 */
public record TensorMeta(int elemType, long[] shape) {
    public TensorMeta {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** The shape as ints, as explain4j tensors use. */
    public int[] intShape() {
        return Arrays.stream(shape).mapToInt(Math::toIntExact).toArray();
    }

    public int rank() {
        return shape.length;
    }

    /** Number of elements. */
    public long size() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** True for the floating element types, the only ones that carry a gradient. */
    public boolean isFloating() {
        return isFloating(elemType);
    }

    /** True for the floating ONNX element types. */
    public static boolean isFloating(int elemType) {
        return elemType == DataType.FLOAT_VALUE || elemType == DataType.DOUBLE_VALUE
                || elemType == DataType.FLOAT16_VALUE || elemType == DataType.BFLOAT16_VALUE;
    }

    /** A readable name of an ONNX element type, e.g. {@code FLOAT}. */
    public static String typeName(int elemType) {
        DataType t = DataType.forNumber(elemType);
        return t == null ? "type " + elemType : t.name();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorMeta m && m.elemType == elemType && Arrays.equals(m.shape, shape);
    }

    @Override
    public int hashCode() {
        return 31 * elemType + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return typeName(elemType) + Arrays.toString(shape);
    }
}
